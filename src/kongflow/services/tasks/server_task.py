"""A task as the SDK reads it: the ServerTask object (wire protocol §3.11).

The run-task, complete and fail routes answer with it, and EXECUTE_JOB bodies may
embed it. Keys follow the order the v2 server wrote them; dates are ISO-8601 with a
``Z``; ``output`` is left out when the task's callback returned ``undefined``.
"""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task, TaskAttempt
from kongflow.domain.protocol.base import iso


def server_task_json(task: Task, *, attempts: int, force_yield: bool) -> dict[str, Any]:
    """``task`` in the ServerTask wire shape.

    ``attempts`` is the number of the task's TaskAttempt rows (the SDK feeds it to its
    retry formula); ``force_yield`` is the run's ``force_yield_immediately``.
    """
    body: dict[str, Any] = {
        "id": task.id,
        "name": task.name,
        "icon": task.icon,
        "noop": task.noop,
        "startedAt": iso(task.started_at),
        "completedAt": iso(task.completed_at),
        "delayUntil": iso(task.delay_until),
        "status": task.status.value,
        "description": task.description,
        "params": task.params,
    }
    if not task.output_is_undefined:
        body["output"] = task.output
    body.update(
        {
            "context": task.context,
            "properties": task.properties,
            "outputProperties": task.output_properties,
            "style": task.style,
            "error": task.error,
            "parentId": task.parent_id,
            "attempts": attempts,
            "idempotencyKey": task.idempotency_key,
            "operation": task.operation,
            "callbackUrl": task.callback_url,
            "forceYield": force_yield,
            "childExecutionMode": task.child_execution_mode.value,
        }
    )
    return body


async def count_task_attempts(session: AsyncSession, task_id: str) -> int:
    """How many attempts task ``task_id`` has had (its ServerTask ``attempts``)."""
    count = await session.scalar(
        select(func.count()).select_from(TaskAttempt).where(TaskAttempt.task_id == task_id)
    )
    return int(count or 0)
