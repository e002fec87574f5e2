"""FailTask: record that a task's callback threw and will not be retried
(``POST …/tasks/{id}/fail``, platform §6.4).

The error becomes the task's ``output``, which is what the SDK reads back (and
throws) if the run executes again; its message is also kept in the ``error`` column
for people. A finished task is returned unchanged.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task, TaskAttempt
from kongflow.domain.enums import TaskAttemptStatus, TaskStatus
from kongflow.domain.json_values import jsonb_problem
from kongflow.errors import NotFound, ValidationFailed
from kongflow.services.tasks.complete_task import FINISHED_TASK_STATUSES


def format_task_error(error: dict[str, Any]) -> str:
    """One string for an ErrorWithStack: its stack when there is one (it starts with
    ``Name: message``), else ``Name: message``."""
    stack = error.get("stack")
    if isinstance(stack, str) and stack:
        return stack
    message = str(error.get("message", ""))
    name = error.get("name")
    return f"{name}: {message}" if isinstance(name, str) and name else message


async def load_run_task(session: AsyncSession, run_id: str, task_id: str) -> Task:
    """Task ``task_id`` of run ``run_id``, locked for update; NotFound (``task_not_found``)
    when it does not exist or belongs to another run."""
    task = None
    if "\x00" not in task_id:  # PostgreSQL refuses NUL in a query parameter
        task = await session.scalar(
            select(Task).where(Task.id == task_id, Task.run_id == run_id).with_for_update()
        )
    if task is None:
        raise NotFound("Task not found", code="task_not_found")
    return task


async def newest_pending_attempt(session: AsyncSession, task_id: str) -> TaskAttempt | None:
    """The highest-numbered PENDING attempt of the task, if any."""
    return await session.scalar(
        select(TaskAttempt)
        .where(TaskAttempt.task_id == task_id, TaskAttempt.status == TaskAttemptStatus.PENDING)
        .order_by(TaskAttempt.number.desc())
        .limit(1)
    )


async def fail_task(
    session: AsyncSession, run_id: str, task_id: str, error: dict[str, Any]
) -> Task:
    """Mark task ``task_id`` of run ``run_id`` ERRORED with ``error``
    (``{message, name?, stack?}``) as its output.

    The newest PENDING attempt is ERRORED with the formatted error. Raises NotFound
    (``task_not_found``) for a task of another run; the caller checks the run's
    environment.
    """
    problem = jsonb_problem(error)
    if problem is not None:
        raise ValidationFailed(f"The task error cannot be stored: {problem}", code="invalid_error")
    task = await load_run_task(session, run_id, task_id)
    if task.status in FINISHED_TASK_STATUSES:
        return task
    attempt = await newest_pending_attempt(session, task.id)
    if attempt is not None:
        attempt.status = TaskAttemptStatus.ERRORED
        attempt.error = format_task_error(error)
    message = error.get("message")
    task.status = TaskStatus.ERRORED
    task.output = error
    task.output_is_undefined = False
    task.error = message if isinstance(message, str) else None
    task.completed_at = datetime.now(UTC)
    await session.flush()
    return task
