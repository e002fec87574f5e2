"""Re-index deployed endpoints regularly, so a deploy without a hook is noticed.

As in v2: every few minutes, each endpoint of a STAGING or PRODUCTION environment
that has not been indexed in the last ten minutes gets an index queued.
Development endpoints are indexed by their developer (`trigger.dev dev`).
"""

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Endpoint, EndpointIndex, Environment
from kongflow.domain.enums import EndpointIndexSource, EnvironmentType
from kongflow.services.endpoints.create_endpoint import queue_endpoint_index

RECENT = timedelta(minutes=10)
DEPLOYED = (EnvironmentType.STAGING, EnvironmentType.PRODUCTION)


async def reindex_deployed_endpoints(session: AsyncSession, *, now: datetime) -> int:
    """Queue an index of each deployed endpoint not indexed since ``now - 10 min``."""
    recently_indexed = exists().where(
        EndpointIndex.endpoint_id == Endpoint.id, EndpointIndex.created_at > now - RECENT
    )
    endpoints = await session.scalars(
        select(Endpoint)
        .join(Environment, Environment.id == Endpoint.environment_id)
        .where(Environment.type.in_(DEPLOYED), ~recently_indexed)
    )
    queued = 0
    for endpoint in endpoints:
        await queue_endpoint_index(
            session, endpoint, source=EndpointIndexSource.INTERNAL, reason="periodic re-index"
        )
        queued += 1
    return queued
