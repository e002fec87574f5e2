"""Runs to attach things to, while no run-creation API exists: a job registered on an
endpoint, an event record, and a run of that event created by ``create_run``; and
which runs have an execution queued."""

import uuid
from typing import Any

from sqlalchemy import text

from kongflow.db.orm import Endpoint, EventRecord, Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_job import register_job
from kongflow.services.runs.create_run import RunTarget, create_run
from kongflow.worker.names import EXECUTE_RUN
from tests.support.jobs import job_metadata


async def make_run(
    db: Database,
    endpoint: Endpoint,
    job_slug: str = "order-created",
    *,
    status: RunStatus | None = RunStatus.PENDING,
    output: Any = None,
    **job: Any,
) -> Run:
    """Register job ``job_slug`` on ``endpoint`` (``job``: overrides of its metadata) and
    create a run of it in the endpoint's environment, with ``status`` and ``output``
    set as given (``status=None`` keeps the one the run was created with)."""
    async with db.transaction() as session:
        metadata = job_metadata(job_slug, **job)
        registration = await register_job(session, endpoint, parse_job(metadata))
        assert registration is not None
        event = EventRecord(
            event_id=f"evt-{uuid.uuid4().hex}",
            name="order.created",
            payload={"status": "paid"},
            context={},
            organization_id=endpoint.organization_id,
            project_id=endpoint.project_id,
            environment_id=endpoint.environment_id,
        )
        session.add(event)
        await session.flush()
        run_id = await create_run(
            session, event=event, target=RunTarget.of(registration.job, registration.version)
        )
        run = await session.get_one(Run, run_id)
        if status is not None:
            run.status = status
        run.output = output
    return run


async def queued_executions(db: Database) -> list[str]:
    """The ids of the runs whose execution job is in the queue."""
    async with db.transaction() as session:
        rows = await session.execute(
            text("SELECT args->>'run_id' FROM procrastinate_jobs WHERE task_name = :t"),
            {"t": EXECUTE_RUN},
        )
        return [run_id for (run_id,) in rows]
