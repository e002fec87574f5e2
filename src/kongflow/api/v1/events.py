"""Event routes the SDK calls: send (one or many), read, cancel, cancel its runs, and
wait for one (``io.waitForEvent``'s ephemeral dispatchers)."""

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from kongflow.api.deps import AnyKeyEnvironmentDep, EnvironmentDep, ResourcesDep, SessionDep
from kongflow.db.orm import Run
from kongflow.db.raw import SessionNeeded, Work, raw_transaction
from kongflow.db.session import Database
from kongflow.domain.protocol.base import iso
from kongflow.domain.protocol.events import (
    EphemeralDispatcherBody,
    RawEvent,
    SendEventBody,
    SendEventOptions,
    SendEventsBody,
)
from kongflow.domain.states import public_run_status
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.events.cancel_event import cancel_event, cancel_event_runs, find_event
from kongflow.services.events.ephemeral_dispatcher import create_ephemeral_dispatcher
from kongflow.services.events.event_log import api_event_log
from kongflow.services.events.ingest_event import ingest_event

router = APIRouter(tags=["events"])


async def _ingest_all(
    database: Database,
    environment: EnvironmentScope,
    events: list[RawEvent],
    options: SendEventOptions,
) -> list[dict[str, Any]]:
    """Ingest ``events`` in one transaction (all or none): on a plain connection, and
    again in an ORM session when one of them needs it (see ``ingest_event``).

    The two send routes open their transaction here rather than take a session
    dependency: they are the busiest routes, and FastAPI spends about a tenth of such a
    request on a generator dependency (its exit stack and context managers).
    """

    async def ingest_in(work: Work) -> list[dict[str, Any]]:
        return [
            api_event_log(await ingest_event(work, environment, raw, options)) for raw in events
        ]

    try:
        async with raw_transaction(database) as connection:
            return await ingest_in(connection)
    except SessionNeeded:
        async with database.transaction() as session:
            return await ingest_in(session)


@router.post("/api/v1/events")
async def send_event(
    body: SendEventBody, environment: EnvironmentDep, resources: ResourcesDep
) -> dict[str, Any]:
    """Record an event and trigger the jobs listening to it (now or when it is due)."""
    (event,) = await _ingest_all(resources.database, environment, [body.event], body.options)
    return event


@router.post("/api/v1/events/bulk")
async def send_events(
    body: SendEventsBody, environment: EnvironmentDep, resources: ResourcesDep
) -> list[dict[str, Any]]:
    """Record several events at once (all or none)."""
    return await _ingest_all(resources.database, environment, body.events, body.options)


async def _event_with_runs(
    event_id: str, environment: AnyKeyEnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    async with session.begin():
        event = await find_event(session, environment, event_id)
        runs = await session.scalars(
            select(Run).where(Run.event_id == event.id).order_by(Run.created_at)
        )
        return {
            "id": event.event_id,
            "name": event.name,
            "createdAt": iso(event.created_at),
            "updatedAt": iso(event.updated_at),
            "runs": [
                {
                    "id": run.id,
                    "status": public_run_status(run.status),
                    "startedAt": iso(run.started_at),
                    "completedAt": iso(run.completed_at),
                }
                for run in runs
            ],
        }


router.add_api_route("/api/v1/events/{event_id}", _event_with_runs, methods=["GET"])
router.add_api_route("/api/v2/events/{event_id}", _event_with_runs, methods=["GET"])


@router.post("/api/v1/events/{event_id}/cancel")
async def cancel(event_id: str, environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """Stop an event that was sent for later from being delivered."""
    async with session.begin():
        return api_event_log(await cancel_event(session, environment, event_id))


@router.post("/api/v1/events/{event_id}/cancel-runs")
async def cancel_runs(
    event_id: str, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Cancel the runs of the event that have not started executing."""
    async with session.begin():
        result = await cancel_event_runs(session, environment, event_id)
    return result.as_json()


@router.post("/api/v1/event-dispatchers/ephemeral")
async def create_ephemeral(
    body: EphemeralDispatcherBody, environment: EnvironmentDep, session: SessionDep
) -> dict[str, str]:
    """Send the next event matching ``body`` to its URL (a waiting task's callback
    URL): ``{id}`` of the dispatcher, the same for the same URL."""
    async with session.begin():
        return {"id": await create_ephemeral_dispatcher(session, environment, body)}
