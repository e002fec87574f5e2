"""Enable or disable a job in an environment, from the management API.

Disabling stops its live version (dispatcher and schedule); enabling reactivates
the version ``latest`` names and routes its triggers again. Runs already created
are not touched.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import JobVersion
from kongflow.domain.enums import JobVersionStatus
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import Conflict
from kongflow.services.jobs.disable_job import disable_version
from kongflow.services.jobs.find_job import find_job
from kongflow.services.jobs.route_triggers import route_version_triggers


async def set_job_enabled(
    session: AsyncSession, scope: EnvironmentScope, slug: str, *, enabled: bool
) -> JobVersion:
    """Enable or disable the live version of job ``slug``; returns that version."""
    scoped = await find_job(session, scope, slug)
    if scoped.latest is None:
        raise Conflict(f"Job {slug!r} has no live version here.", code="no_live_version")
    version = scoped.latest
    if not enabled:
        await disable_version(session, version)
    elif version.status is JobVersionStatus.DISABLED:
        version.status = JobVersionStatus.ACTIVE
        await session.flush()
        await route_version_triggers(session, version)
    return version
