"""List an environment's endpoints with their latest index, for the CLI and dashboard."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Endpoint, EndpointIndex, JobVersion
from kongflow.domain.enums import EndpointIndexStatus, JobVersionStatus
from kongflow.domain.tenancy import EnvironmentScope


@dataclass(frozen=True)
class EndpointSummary:
    """An endpoint, how its last index went, and how many active job versions it serves."""

    slug: str
    url: str
    version: str
    sdk_version: str
    last_index_status: EndpointIndexStatus | None
    last_indexed_at: datetime | None
    active_jobs: int


async def list_endpoints(session: AsyncSession, scope: EnvironmentScope) -> list[EndpointSummary]:
    """The environment's endpoints by slug (one query, whatever their number)."""
    last_index = (
        select(EndpointIndex.status, EndpointIndex.updated_at)
        .where(EndpointIndex.endpoint_id == Endpoint.id)
        .order_by(EndpointIndex.created_at.desc())
        .limit(1)
        .lateral("last_index")
    )
    active_jobs = (
        select(func.count())
        .where(JobVersion.endpoint_id == Endpoint.id, JobVersion.status == JobVersionStatus.ACTIVE)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Endpoint, last_index.c.status, last_index.c.updated_at, active_jobs)
        .outerjoin(last_index, true())
        .where(Endpoint.environment_id == scope.id)
        .order_by(Endpoint.slug)
    )
    return [
        EndpointSummary(
            slug=endpoint.slug,
            url=endpoint.url,
            version=endpoint.version,
            sdk_version=endpoint.sdk_version,
            last_index_status=status,
            last_indexed_at=indexed_at,
            active_jobs=jobs,
        )
        for endpoint, status, indexed_at, jobs in rows
    ]
