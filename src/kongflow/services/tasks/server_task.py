"""A task as the SDK reads it: the ServerTask object (wire protocol §3.11).

The run-task, complete and fail routes answer with it, and EXECUTE_JOB bodies may
embed it. Keys follow the order the v2 server wrote them; dates are ISO-8601 with a
``Z``; ``output`` is left out when the task's callback returned ``undefined``.

The task arrives as its column values: a row read with plain asyncpg on the hot path
(see ``db/raw.py``) or an ORM task through :func:`task_columns`.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task, TaskAttempt
from kongflow.domain.protocol.base import iso

# Columns of a task row, plus how many attempts it has had, for the ServerTask.
TASK_ROW_SQL = "t.*, (SELECT count(*) FROM task_attempts a WHERE a.task_id = t.id) AS attempts"


def task_columns(task: Task, *, attempts: int) -> dict[str, Any]:
    """An ORM task's column values (and ``attempts``) in the shape of a task row."""
    values = {column.key: getattr(task, column.key) for column in inspect(Task).column_attrs}
    values["attempts"] = attempts
    return values


def server_task_json(task: Mapping[str, Any], *, force_yield: bool) -> dict[str, Any]:
    """The task row ``task`` in the ServerTask wire shape.

    ``task["attempts"]`` is the number of the task's TaskAttempt rows (the SDK feeds
    it to its retry formula); ``force_yield`` is the run's ``force_yield_immediately``.
    """
    body: dict[str, Any] = {
        "id": task["id"],
        "name": task["name"],
        "icon": task["icon"],
        "noop": task["noop"],
        "startedAt": iso(task["started_at"]),
        "completedAt": iso(task["completed_at"]),
        "delayUntil": iso(task["delay_until"]),
        "status": str(task["status"]),
        "description": task["description"],
        "params": task["params"],
    }
    if not task["output_is_undefined"]:
        body["output"] = task["output"]
    body.update(
        {
            "context": task["context"],
            "properties": task["properties"],
            "outputProperties": task["output_properties"],
            "style": task["style"],
            "error": task["error"],
            "parentId": task["parent_id"],
            "attempts": task["attempts"],
            "idempotencyKey": task["idempotency_key"],
            "operation": task["operation"],
            "callbackUrl": task["callback_url"],
            "forceYield": force_yield,
            "childExecutionMode": str(task["child_execution_mode"]),
        }
    )
    return body


async def count_task_attempts(session: AsyncSession, task_id: str) -> int:
    """How many attempts task ``task_id`` has had (its ServerTask ``attempts``)."""
    count = await session.scalar(
        select(func.count()).select_from(TaskAttempt).where(TaskAttempt.task_id == task_id)
    )
    return int(count or 0)
