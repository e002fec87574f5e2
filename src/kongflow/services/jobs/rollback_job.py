"""Rollback: make an earlier version of a job the live one in an environment.

``latest`` and the job's dispatcher (or schedule) move back to that version. The
endpoint re-indexing the same versions later does not undo it; registering a
version never seen before that is newer than all others moves ``latest`` forward.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import JobVersion
from kongflow.domain.enums import JobVersionStatus
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import Conflict
from kongflow.services.jobs.find_job import find_job, find_version
from kongflow.services.jobs.register_job import point_latest_at
from kongflow.services.jobs.route_triggers import route_version_triggers


async def rollback_job(
    session: AsyncSession, scope: EnvironmentScope, slug: str, version: str
) -> JobVersion:
    """Point ``latest`` and the triggers of job ``slug`` at ``version``."""
    scoped = await find_job(session, scope, slug)
    target = await find_version(session, scope, scoped.job, version)
    if target.status is not JobVersionStatus.ACTIVE:
        raise Conflict(
            f"Version {version} of {slug!r} is disabled; an endpoint must register it again "
            "before it can be the live version.",
            code="version_disabled",
        )
    await point_latest_at(session, scoped.job.id, target)
    await route_version_triggers(session, target)
    return target
