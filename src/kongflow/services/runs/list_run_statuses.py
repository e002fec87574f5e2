"""ListRunStatuses: a run with its statuses, for ``getRunStatuses`` and browsers polling
with the public key."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run, RunStatusRecord
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.runs.find_run import find_run


@dataclass(frozen=True)
class RunStatuses:
    """A run and its statuses, oldest first."""

    run: Run
    statuses: list[RunStatusRecord]


async def list_run_statuses(
    session: AsyncSession, scope: EnvironmentScope, run_id: str
) -> RunStatuses:
    """Run ``run_id`` of ``scope``'s environment with its statuses, or NotFound
    (``run_not_found``)."""
    run = await find_run(session, scope, run_id)
    statuses = await session.scalars(
        select(RunStatusRecord)
        .where(RunStatusRecord.run_id == run.id)
        .order_by(RunStatusRecord.created_at, RunStatusRecord.id)
    )
    return RunStatuses(run=run, statuses=list(statuses))
