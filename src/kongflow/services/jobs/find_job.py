"""Look up a job, and its versions, as the caller's environment sees them.

A job is shared by the environments of a project, but an environment only "has" a
job once a version of it was registered there. Anything else, including another
project's job, is reported as not found, so callers learn nothing about rows that
are not theirs. Every single-job service, read or write, starts here.
"""

from dataclasses import dataclass

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from kongflow.db.orm import Job, JobAlias, JobVersion
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound

LATEST = "latest"


@dataclass(frozen=True)
class ScopedJob:
    """A job with the version its ``latest`` alias names in the environment."""

    job: Job
    latest: JobVersion | None


def version_not_found(slug: str, version: str) -> NotFound:
    """The error for a version the job does not have in the caller's environment."""
    return NotFound(
        f"Job {slug!r} has no version {version!r} in this environment.",
        code="version_not_found",
        details={"slug": slug, "version": version},
    )


async def find_job(
    session: AsyncSession, scope: EnvironmentScope, slug: str, *, include_deleted: bool = False
) -> ScopedJob:
    """The job ``slug`` in ``scope`` with its ``latest`` version, in one query, or
    :class:`NotFound` (code ``job_not_found``). Deleted jobs are found only when
    ``include_deleted``."""
    any_version = aliased(JobVersion)
    query = (
        select(Job, JobVersion)
        .outerjoin(
            JobAlias,
            and_(
                JobAlias.job_id == Job.id,
                JobAlias.environment_id == scope.id,
                JobAlias.name == LATEST,
            ),
        )
        .outerjoin(JobVersion, JobVersion.id == JobAlias.version_id)
        .where(
            Job.project_id == scope.project_id,
            Job.slug == slug,
            exists().where(any_version.job_id == Job.id, any_version.environment_id == scope.id),
        )
    )
    if not include_deleted:
        query = query.where(Job.deleted_at.is_(None))
    found = (await session.execute(query)).one_or_none()
    if found is None:
        raise NotFound(f"No job {slug!r} in this environment.", code="job_not_found")
    job, latest = found
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
        raise version_not_found(job.slug, version)
    return row
