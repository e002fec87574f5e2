"""Defer a procrastinate job inside the caller's own database transaction.

procrastinate's own ``defer_async`` uses its connection pool, so the job would exist
even if the business change that caused it rolled back. Deferring through the
caller's SQLAlchemy session (or plain connection) instead writes the job row in the
same transaction: the job becomes visible to workers (procrastinate's insert trigger
sends the NOTIFY that wakes them) when, and only when, that transaction commits. Usage inside a
service::

    await defer_job(session, "kongflow.index_endpoint", {"endpoint_index_id": index.id})

The row is written with a plain ``INSERT`` (procrastinate's table is pinned with the
library version) so that a job key can be honoured in one statement: with
``queueing_lock``, at most one waiting job carries that key; ``replace=True``
rewrites a waiting one (new arguments and time) in the same upsert, otherwise the
existing one stays.
"""

import json
from datetime import datetime
from typing import Any

from kongflow.db.raw import Work, driver_connection

DEFAULT_QUEUE = "default"

_INSERT = (
    "INSERT INTO procrastinate_jobs "
    "(queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) "
)
_DEFER = _INSERT + "RETURNING id"
_DEFER_KEYED = _INSERT + "ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING RETURNING id"
_DEFER_OR_REPLACE = (
    _INSERT + "ON CONFLICT (queueing_lock) WHERE status = 'todo' DO UPDATE SET "
    "args = EXCLUDED.args, scheduled_at = EXCLUDED.scheduled_at, "
    "priority = EXCLUDED.priority, lock = EXCLUDED.lock RETURNING id"
)
_WAITING = "SELECT id FROM procrastinate_jobs WHERE queueing_lock = $1 AND status = 'todo'"
_CANCEL_WAITING = "DELETE FROM procrastinate_jobs WHERE queueing_lock = $1 AND status = 'todo'"


async def defer_job(
    work: Work,
    task_name: str,
    args: dict[str, Any],
    *,
    queue: str = DEFAULT_QUEUE,
    priority: int = 0,
    lock: str | None = None,
    queueing_lock: str | None = None,
    replace: bool = False,
    scheduled_at: datetime | None = None,
) -> int:
    """Queue ``task_name(**args)`` as part of ``work``'s open transaction.

    ``lock`` serialises jobs sharing it (one runs at a time, in order). With
    ``queueing_lock`` an already waiting job of that key is kept (or, with
    ``replace``, updated) instead of adding a second. Returns the job id.
    """
    connection = await driver_connection(work)
    params = (queue, task_name, priority, lock, queueing_lock, json.dumps(args), scheduled_at)
    if queueing_lock is None:
        return int(await connection.fetchval(_DEFER, *params))
    if replace:
        return int(await connection.fetchval(_DEFER_OR_REPLACE, *params))
    inserted = await connection.fetchval(_DEFER_KEYED, *params)
    if inserted is not None:
        return int(inserted)
    # Another transaction holds a waiting job of this key: it stands for ours.
    return int(await connection.fetchval(_WAITING, queueing_lock))


async def cancel_waiting_job(work: Work, queueing_lock: str) -> int:
    """Remove the waiting (not yet started) job of ``queueing_lock``; returns how many."""
    connection = await driver_connection(work)
    status = await connection.execute(_CANCEL_WAITING, queueing_lock)
    return int(status.rsplit(" ", 1)[-1])  # asyncpg answers "DELETE <count>"
