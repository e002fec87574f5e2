"""Cancel an event that has not been delivered yet, or the runs an event started."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventRecord, Run
from kongflow.domain.enums import RunStatus
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound
from kongflow.services.events.ingest_event import delivery_key
from kongflow.services.jobs.cancel_job_runs import CancelledRuns
from kongflow.services.runs.cancel_run import cancel_run
from kongflow.worker.defer import cancel_waiting_job

# As v2: runs already executing are left to finish when their event's runs are cancelled.
NOT_YET_EXECUTING = (
    RunStatus.PENDING,
    RunStatus.QUEUED,
    RunStatus.WAITING_ON_CONNECTIONS,
    RunStatus.PREPROCESSING,
    RunStatus.STARTED,
)


async def find_event(session: AsyncSession, scope: EnvironmentScope, event_id: str) -> EventRecord:
    """The event the caller knows as ``event_id``, or NotFound (``event_not_found``)."""
    event = await session.scalar(
        select(EventRecord).where(
            EventRecord.event_id == event_id, EventRecord.environment_id == scope.id
        )
    )
    if event is None:
        raise NotFound(f"No event {event_id!r} in this environment.", code="event_not_found")
    return event


async def cancel_event(
    session: AsyncSession, scope: EnvironmentScope, event_id: str
) -> EventRecord:
    """Stop a scheduled event from being delivered (runs it already made continue)."""
    event = await find_event(session, scope, event_id)
    if event.cancelled_at is None:
        event.cancelled_at = datetime.now(UTC)
        await cancel_waiting_job(session, delivery_key(event.id))
        await session.flush()
    return event


async def cancel_event_runs(
    session: AsyncSession, scope: EnvironmentScope, event_id: str
) -> CancelledRuns:
    """Cancel the event's runs that have not started executing."""
    event = await find_event(session, scope, event_id)
    runs = await session.scalars(
        select(Run)
        .where(Run.event_id == event.id, Run.status.in_(NOT_YET_EXECUTING))
        .order_by(Run.created_at)
        .with_for_update()
    )
    result = CancelledRuns()
    for run in runs:
        if await cancel_run(session, run):
            result.cancelled_run_ids.append(run.id)
        else:
            result.failed_to_cancel_run_ids.append(run.id)
    return result
