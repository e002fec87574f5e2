"""Fire schedules: each active schedule has one delayed job waiting for its next tick.

When a schedule is registered (or re-registered, or a tick fires), the job for its
next tick is (re)queued at that instant, keyed by the schedule so there is never
more than one; deactivating the schedule removes it. A firing records the
``dev.trigger.scheduled`` event with ``{ts, lastTimestamp}`` and invokes the
schedule's dispatcher directly, as v2 did. The event id is the schedule's id and
the tick's time, so a tick delivered twice makes one run. Missed ticks are skipped,
not replayed.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Environment, EventDispatcher, EventRecord, ScheduleSource
from kongflow.domain.protocol.base import iso
from kongflow.domain.schedules import SCHEDULED_EVENT, next_tick
from kongflow.ids import new_id
from kongflow.services.events.deliver_event import invoke_dispatcher
from kongflow.worker.defer import cancel_waiting_job, defer_job
from kongflow.worker.names import DELIVER_SCHEDULED


def tick_key(schedule_source_id: str) -> str:
    """The job key of a schedule's pending tick (v2's ``scheduled:<id>``)."""
    return f"scheduled:{schedule_source_id}"


async def queue_next_tick(session: AsyncSession, source: ScheduleSource) -> None:
    """Queue (or move) the job that fires ``source`` at its next tick."""
    if not source.active or source.next_event_timestamp is None:
        await cancel_waiting_job(session, tick_key(source.id))
        return
    await defer_job(
        session,
        DELIVER_SCHEDULED,
        {"schedule_source_id": source.id},
        queueing_lock=tick_key(source.id),
        replace=True,
        scheduled_at=source.next_event_timestamp,
    )


async def fire_schedule(session: AsyncSession, schedule_source_id: str) -> bool:
    """Fire the due tick of a schedule and queue the next one; False if it was
    inactive or had no tick due."""
    source = await session.scalar(
        select(ScheduleSource).where(ScheduleSource.id == schedule_source_id).with_for_update()
    )
    if source is None or not source.active or source.next_event_timestamp is None:
        return False
    now = datetime.now(UTC)
    ts = source.next_event_timestamp
    if ts > now:
        await queue_next_tick(session, source)  # fired early (moved schedule): wait again
        return False
    payload: dict[str, Any] = {"ts": iso(ts)}
    if source.last_event_timestamp is not None:
        payload["lastTimestamp"] = iso(source.last_event_timestamp)
    dispatcher = await session.get_one(EventDispatcher, source.dispatcher_id)
    environment = await session.get_one(Environment, dispatcher.environment_id)
    event_id = await session.scalar(
        insert(EventRecord)
        .values(
            id=new_id("evt"),
            event_id=f"{source.id}:{int(ts.timestamp() * 1000)}",
            name=SCHEDULED_EVENT,
            payload=payload,
            context={},
            source="trigger.dev",
            source_context={"id": source.key, "metadata": source.metadata_},
            external_account_id=source.external_account_id,
            environment_id=dispatcher.environment_id,
            organization_id=environment.organization_id,
            project_id=environment.project_id,
            delivered_at=now,
            internal=True,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "environment_id"])
        .returning(EventRecord.id)
    )
    if event_id is not None and dispatcher.enabled:
        event = await session.get_one(EventRecord, event_id)
        await invoke_dispatcher(
            session, dispatcher.id, dispatcher.dispatchable, dispatcher.environment_id, event
        )
    source.last_event_timestamp = ts
    source.next_event_timestamp = next_tick(source.schedule, after=ts, now=now)
    await session.flush()
    await queue_next_tick(session, source)
    return True
