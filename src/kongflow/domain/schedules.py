"""When a cron or interval schedule fires next. Pure: the caller supplies "now".

Missed ticks are skipped, not replayed: the next tick is the first one, counted
from the previous tick (or the registration), that is not in the past, as v2 did.
Cron expressions are evaluated in UTC.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

# The event a schedule's tick records (v2's SCHEDULED_EVENT).
SCHEDULED_EVENT = "dev.trigger.scheduled"


def next_tick(schedule: dict[str, Any], *, after: datetime, now: datetime) -> datetime:
    """The first tick of ``schedule`` strictly after ``after`` and not before ``now``.

    ``schedule`` is the stored shape ``{"type": "cron", "options": {"cron": ...}}`` or
    ``{"type": "interval", "options": {"seconds": ...}}``.
    """
    after = after.astimezone(UTC)
    now = now.astimezone(UTC)
    options = schedule["options"]
    if schedule["type"] == "interval":
        step = timedelta(seconds=int(options["seconds"]))
        tick = after + step
        if tick < now:
            tick += step * -(-(now - tick) // step)  # whole steps to reach now
        return tick
    iterator = croniter(options["cron"], max(after, now - timedelta(microseconds=1)))
    cron_tick: datetime = iterator.get_next(datetime)
    return cron_tick.astimezone(UTC)
