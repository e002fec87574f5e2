"""Route a job's triggers to one of its versions: its event dispatcher or schedule.

Each job has one dispatcher (and at most one schedule) per environment; they follow
the version the ``latest`` alias names. Registration, rollback, enable and disable
all go through here, so the dispatcher is always rewritten completely from the
version's declared trigger (v2 left stale filters and ``manual`` flags behind).
"""

from pydantic import TypeAdapter
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventDispatcher, JobVersion
from kongflow.db.upsert import upsert
from kongflow.domain.protocol.index import ScheduledTrigger, StaticTrigger, TriggerMetadata
from kongflow.domain.schedules import SCHEDULED_EVENT
from kongflow.services.schedules.register_schedule import deactivate_schedule, register_schedule

_TRIGGER = TypeAdapter[TriggerMetadata](TriggerMetadata)


async def route_triggers(
    session: AsyncSession,
    job_id: str,
    version_id: str,
    environment_id: str,
    trigger: TriggerMetadata,
) -> None:
    """Make the job's dispatcher and schedule in the environment serve ``version_id``."""
    if isinstance(trigger, StaticTrigger):
        await _upsert_dispatcher(
            session,
            job_id,
            version_id,
            environment_id,
            event=trigger.rule.event_names,
            source=trigger.rule.source,
            payload_filter=trigger.rule.payload,
            context_filter=trigger.rule.context,
            manual=False,
        )
        await deactivate_schedule(session, job_id, environment_id)
    elif isinstance(trigger, ScheduledTrigger):
        dispatcher = await _upsert_dispatcher(
            session,
            job_id,
            version_id,
            environment_id,
            event=[SCHEDULED_EVENT],
            source="trigger.dev",
            payload_filter=None,
            context_filter=None,
            manual=True,
        )
        await register_schedule(session, job_id, dispatcher, trigger.schedule)
    else:  # dynamic and invoke jobs are run only by their trigger or the invoke API
        await stop_job_triggers(session, job_id, environment_id)


async def route_version_triggers(session: AsyncSession, version: JobVersion) -> None:
    """Route the job's triggers to ``version`` using the trigger it was registered with."""
    trigger = stored_trigger(version.trigger)
    if trigger is not None:
        await route_triggers(session, version.job_id, version.id, version.environment_id, trigger)


def trigger_as_json(trigger: TriggerMetadata) -> dict[str, object]:
    """The wire form of a trigger, as stored on its job version."""
    dumped: dict[str, object] = _TRIGGER.dump_python(trigger, mode="json", by_alias=True)
    return dumped


def stored_trigger(trigger: dict[str, object] | None) -> TriggerMetadata | None:
    """The trigger a version was registered with, as the protocol model."""
    return None if trigger is None else _TRIGGER.validate_python(trigger)


async def stop_job_triggers(session: AsyncSession, job_id: str, environment_id: str) -> None:
    """Disable the job's event dispatcher and schedule in one environment."""
    await session.execute(
        update(EventDispatcher)
        .where(
            EventDispatcher.dispatchable_id == job_id,
            EventDispatcher.environment_id == environment_id,
        )
        .values(enabled=False)
    )
    await deactivate_schedule(session, job_id, environment_id)


async def _upsert_dispatcher(
    session: AsyncSession,
    job_id: str,
    version_id: str,
    environment_id: str,
    *,
    event: list[str],
    source: str,
    payload_filter: dict[str, object] | None,
    context_filter: dict[str, object] | None,
    manual: bool,
) -> EventDispatcher:
    return await upsert(
        session,
        EventDispatcher,
        {
            "dispatchable_id": job_id,
            "environment_id": environment_id,
            "event": event,
            "source": source,
            "payload_filter": payload_filter,
            "context_filter": context_filter,
            "manual": manual,
            "enabled": True,
            "dispatchable": {"type": "JOB_VERSION", "id": version_id},
        },
        key=["dispatchable_id", "environment_id"],
        update=[
            "event",
            "source",
            "payload_filter",
            "context_filter",
            "manual",
            "enabled",
            "dispatchable",
        ],
    )
