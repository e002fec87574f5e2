"""Delete index records older than a week: they are diagnostics, not history."""

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EndpointIndex

KEEP = timedelta(days=7)


async def purge_endpoint_indexes(session: AsyncSession, *, now: datetime) -> int:
    """Remove EndpointIndex rows created before ``now - 7 days``; returns how many."""
    result = await session.execute(
        delete(EndpointIndex).where(EndpointIndex.created_at < now - KEEP)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
