"""Defer a procrastinate job inside the caller's own database transaction.

procrastinate's own ``defer_async`` uses its connection pool, so the job would exist
even if the business change that caused it rolled back. Deferring through the
caller's SQLAlchemy session instead calls procrastinate's SQL entry point
``procrastinate_defer_jobs_v1`` in the same transaction: the job becomes visible to
workers when, and only when, that transaction commits (an outbox without the extra
table). Usage inside a service::

    await defer_job(session, "kongflow.index_endpoint", {"endpoint_index_id": index.id})
"""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_QUEUE = "default"

_DEFER_SQL = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task_name AS varchar), CAST(:priority AS integer), "
    "CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb), "
    "CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1])) AS id"
)


async def defer_job(
    session: AsyncSession,
    task_name: str,
    args: dict[str, Any],
    *,
    queue: str = DEFAULT_QUEUE,
    priority: int = 0,
    lock: str | None = None,
    queueing_lock: str | None = None,
    scheduled_at: datetime | None = None,
) -> int:
    """Queue ``task_name(**args)`` as part of ``session``'s open transaction.

    ``lock`` serialises jobs sharing it; ``queueing_lock`` allows one waiting job per
    value (a second defer raises ``IntegrityError``, which callers treat as "already
    queued"). Returns the procrastinate job id.
    """
    result = await session.execute(
        _DEFER_SQL,
        {
            "queue": queue,
            "task_name": task_name,
            "priority": priority,
            "lock": lock,
            "queueing_lock": queueing_lock,
            "args": json.dumps(args),
            "scheduled_at": scheduled_at,
        },
    )
    return int(result.scalar_one())
