"""Cancel every unfinished run of a job in one environment."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run
from kongflow.domain.states import FINISHED_RUN_STATUSES
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.jobs.find_job import find_job
from kongflow.services.runs.cancel_run import cancel_run


@dataclass
class CancelledRuns:
    """Per-run outcome, in the shape v2's cancel-runs answered."""

    cancelled_run_ids: list[str] = field(default_factory=list)
    failed_to_cancel_run_ids: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, list[str]]:
        """``{cancelledRunIds, failedToCancelRunIds}``, the shape the SDK reads."""
        return {
            "cancelledRunIds": self.cancelled_run_ids,
            "failedToCancelRunIds": self.failed_to_cancel_run_ids,
        }


async def cancel_job_runs(
    session: AsyncSession, scope: EnvironmentScope, slug: str
) -> CancelledRuns:
    """Cancel the unfinished runs of job ``slug`` in ``scope`` (this environment only)."""
    scoped = await find_job(session, scope, slug, include_deleted=True)
    runs = await session.scalars(
        select(Run)
        .where(
            Run.job_id == scoped.job.id,
            Run.environment_id == scope.id,
            Run.status.not_in(FINISHED_RUN_STATUSES),
        )
        .order_by(Run.created_at)
        .with_for_update()
    )
    result = CancelledRuns()
    for run in runs:
        target = (
            result.cancelled_run_ids
            if await cancel_run(session, run)
            else result.failed_to_cancel_run_ids
        )
        target.append(run.id)
    return result
