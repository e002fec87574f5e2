"""DeleteJob: retire a job (soft delete), as v2's dashboard did.

A job belongs to the whole project, so it can only be deleted once no other
environment still runs it. Deleting disables it here, cancels its runs that have
not started, and hides it; an endpoint registering it again (enabled) revives it.
"""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Environment, JobAlias, JobVersion, Run
from kongflow.domain.enums import JobVersionStatus, RunStatus
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import Conflict
from kongflow.services.jobs.disable_job import disable_version
from kongflow.services.jobs.find_job import LATEST, find_job
from kongflow.services.runs.cancel_run import cancel_run

NOT_STARTED = (RunStatus.PENDING, RunStatus.QUEUED, RunStatus.WAITING_ON_CONNECTIONS)


async def delete_job(session: AsyncSession, scope: EnvironmentScope, slug: str) -> list[str]:
    """Delete job ``slug``; returns the ids of the runs it cancelled."""
    scoped = await find_job(session, scope, slug)
    job = scoped.job
    live_elsewhere = (
        await session.scalars(
            select(Environment.slug)
            .join(JobAlias, JobAlias.environment_id == Environment.id)
            .join(JobVersion, JobVersion.id == JobAlias.version_id)
            .where(
                JobAlias.job_id == job.id,
                JobAlias.name == LATEST,
                JobAlias.environment_id != scope.id,
                JobVersion.status == JobVersionStatus.ACTIVE,
            )
        )
    ).all()
    if live_elsewhere:
        raise Conflict(
            f"Job {slug!r} is still active in {', '.join(sorted(live_elsewhere))}; "
            "disable it there first.",
            code="job_active_elsewhere",
            details={"environments": sorted(live_elsewhere)},
        )
    if scoped.latest is not None:
        await disable_version(session, scoped.latest)
    runs = await session.scalars(
        select(Run).where(
            Run.job_id == job.id, Run.environment_id == scope.id, Run.status.in_(NOT_STARTED)
        )
    )
    cancelled = [run.id for run in runs if await cancel_run(session, run)]
    job.deleted_at = datetime.now(UTC)
    await session.flush()
    return cancelled
