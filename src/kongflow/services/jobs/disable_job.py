"""DisableJob: stop a job version from receiving events or schedule ticks.

Used when an endpoint declares a job ``enabled: false``, when a job disappears from
its endpoint's index, and by the management API. Runs already started continue.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventDispatcher, Job, JobVersion
from kongflow.domain.enums import JobVersionStatus
from kongflow.services.jobs.route_triggers import stop_job_triggers


async def disable_version(session: AsyncSession, version: JobVersion) -> bool:
    """Mark ``version`` DISABLED; if it is the one the job's triggers route to, stop
    them. Returns False when it was already disabled."""
    if version.status is JobVersionStatus.DISABLED:
        return False
    version.status = JobVersionStatus.DISABLED
    dispatcher = await session.scalar(
        select(EventDispatcher).where(
            EventDispatcher.dispatchable_id == version.job_id,
            EventDispatcher.environment_id == version.environment_id,
        )
    )
    # Disabling an old version must not silence the version currently live.
    if dispatcher is None or dispatcher.dispatchable.get("id") == version.id:
        await stop_job_triggers(session, version.job_id, version.environment_id)
    await session.flush()
    return True


async def disable_job(
    session: AsyncSession, *, project_id: str, environment_id: str, slug: str, version: str
) -> bool:
    """Disable ``slug@version`` in an environment; False when there was nothing to do."""
    row = await session.scalar(
        select(JobVersion)
        .join(Job, Job.id == JobVersion.job_id)
        .where(
            Job.project_id == project_id,
            Job.slug == slug,
            JobVersion.version == version,
            JobVersion.environment_id == environment_id,
        )
    )
    if row is None:
        return False
    return await disable_version(session, row)
