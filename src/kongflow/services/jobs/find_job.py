"""Look up a job, and its versions, as the caller's environment sees them.

A job is shared by the environments of a project, but an environment only "has" a
job once a version of it was registered there. Anything else, including another
project's job, is reported as not found, so callers learn nothing about rows that
are not theirs.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Job, JobAlias, JobVersion
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound

LATEST = "latest"


@dataclass(frozen=True)
class ScopedJob:
    """A job with the version its ``latest`` alias names in the environment."""

    job: Job
    latest: JobVersion | None


async def find_job(
    session: AsyncSession, scope: EnvironmentScope, slug: str, *, include_deleted: bool = False
) -> ScopedJob:
    """The job ``slug`` in ``scope``, or :class:`NotFound` (code ``job_not_found``)."""
    query = select(Job).where(
        Job.project_id == scope.project_id,
        Job.slug == slug,
        exists().where(JobVersion.job_id == Job.id, JobVersion.environment_id == scope.id),
    )
    if not include_deleted:
        query = query.where(Job.deleted_at.is_(None))
    job = await session.scalar(query)
    if job is None:
        raise NotFound(f"No job {slug!r} in this environment.", code="job_not_found")
    latest = await session.scalar(
        select(JobVersion)
        .join(JobAlias, JobAlias.version_id == JobVersion.id)
        .where(
            JobAlias.job_id == job.id,
            JobAlias.environment_id == scope.id,
            JobAlias.name == LATEST,
        )
    )
    return ScopedJob(job=job, latest=latest)


async def find_version(
    session: AsyncSession, scope: EnvironmentScope, job: Job, version: str
) -> JobVersion:
    """Version ``version`` of ``job`` in ``scope``, or NotFound (``version_not_found``)."""
    row = await session.scalar(
        select(JobVersion).where(
            JobVersion.job_id == job.id,
            JobVersion.environment_id == scope.id,
            JobVersion.version == version,
        )
    )
    if row is None:
        raise NotFound(
            f"Job {job.slug!r} has no version {version!r} in this environment.",
            code="version_not_found",
        )
    return row
