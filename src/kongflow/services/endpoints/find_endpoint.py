"""Look up an endpoint of the caller's environment by its slug (the SDK client id)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Endpoint
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound


async def find_endpoint(session: AsyncSession, scope: EnvironmentScope, slug: str) -> Endpoint:
    """Endpoint ``slug`` of ``scope``, or NotFound (``endpoint_not_found``)."""
    endpoint = None
    if "\x00" not in slug:  # PostgreSQL refuses NUL in a query parameter
        endpoint = await session.scalar(
            select(Endpoint).where(Endpoint.environment_id == scope.id, Endpoint.slug == slug)
        )
    if endpoint is None:
        raise NotFound(f"No endpoint {slug!r} in this environment.", code="endpoint_not_found")
    return endpoint
