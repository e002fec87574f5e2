"""The completed tasks a run's next execution replays instead of re-running.

An EXECUTE_JOB body carries the run's COMPLETED, non-noop tasks (in creation order)
up to a size budget; when some do not fit, a cursor names the first one left out
and the SDK pages the rest in through the run-task API. Completed noop tasks (logs,
finished waits) travel instead in the ``noopTasksSet`` bloom filter.

Unlike v2 (platform spec quirk 8), the cursor is the first task *not sent*, so no
task is skipped or sent twice when a large one does not fit.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task
from kongflow.domain.enums import TaskStatus
from kongflow.domain.noop_tasks import encode_noop_tasks

EXECUTION_BUDGET_CHARS = 3_500_000
PAGE_BUDGET_CHARS = 2_000_000
PAGE_SIZE = 250


@dataclass(frozen=True)
class CachedTaskPage:
    """Cached tasks in wire form, and where the next page starts (None: no more)."""

    tasks: list[dict[str, Any]]
    cursor: str | None


def cached_task_json(task: Task) -> dict[str, Any]:
    """A completed task as the SDK's CachedTask (``id`` holds the idempotency key, as v2)."""
    body: dict[str, Any] = {
        "id": task.idempotency_key,
        "idempotencyKey": task.idempotency_key,
        "status": task.status.value,
        "noop": task.noop,
        "parentId": task.parent_id,
    }
    if not task.output_is_undefined:
        body["output"] = task.output
    return body


async def load_cached_tasks(
    session: AsyncSession,
    run_id: str,
    *,
    budget: int,
    start_at: str | None = None,
    limit: int | None = None,
) -> CachedTaskPage:
    """Completed non-noop tasks of ``run_id`` from task id ``start_at`` on, packed in
    order until one would exceed ``budget`` characters (or ``limit`` tasks)."""
    query = (
        select(Task)
        .where(Task.run_id == run_id, Task.status == TaskStatus.COMPLETED, Task.noop.is_(False))
        .order_by(Task.id)
    )
    if start_at:
        query = query.where(Task.id >= start_at)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = list(await session.scalars(query))
    packed: list[dict[str, Any]] = []
    used = 0
    for position, task in enumerate(rows):
        entry = cached_task_json(task)
        size = len(json.dumps(entry, separators=(",", ":")))
        if (limit is not None and len(packed) >= limit) or (packed and used + size > budget):
            return CachedTaskPage(packed, rows[position].id)
        packed.append(entry)
        used += size
    return CachedTaskPage(packed, None)


async def load_noop_task_set(session: AsyncSession, run_id: str) -> str:
    """The base64 bloom filter of the run's completed noop task keys."""
    keys = await session.scalars(
        select(Task.idempotency_key).where(
            Task.run_id == run_id, Task.status == TaskStatus.COMPLETED, Task.noop.is_(True)
        )
    )
    return encode_noop_tasks(keys)
