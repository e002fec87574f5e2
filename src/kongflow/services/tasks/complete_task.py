"""CompleteTask: record a task's result (``POST …/tasks/{id}/complete``, platform §6.3).

The SDK calls it after a task's callback returned; the run engine calls it too for an
``AUTO_YIELD_EXECUTION_WITH_COMPLETED_TASK`` outcome. The run is not resumed: the SDK
is still executing and simply continues. A task that has already finished is returned
unchanged, so the SDK's retries of the same request are harmless.

Outputs are limited to 3 MiB of JSON text, as in v2. :func:`parse_task_output` reads
the JSON text the SDK sends (``Trigger-Version: 2023-11-01``) and
:func:`check_output_size` measures a value older SDKs send directly; both raise
:class:`OutputTooLarge` (413, ``output_too_large``).
"""

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task, TaskAttempt
from kongflow.domain.enums import TaskAttemptStatus, TaskStatus
from kongflow.domain.json_values import jsonb_problem
from kongflow.domain.protocol.tasks import display_properties
from kongflow.errors import KongflowError, NotFound, ValidationFailed

MAX_OUTPUT_BYTES = 3 * 1024 * 1024
FINISHED_TASK_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.ERRORED, TaskStatus.CANCELED})


class OutputTooLarge(KongflowError):
    """A task output over :data:`MAX_OUTPUT_BYTES`."""

    code = "output_too_large"
    status_code = 413


def _too_large(size: int) -> OutputTooLarge:
    return OutputTooLarge(
        f"The task output is {size} bytes of JSON; the limit is {MAX_OUTPUT_BYTES} bytes.",
        details={"size": size, "limit": MAX_OUTPUT_BYTES},
    )


def parse_task_output(text: str) -> Any:
    """The value of a task output sent as JSON text.

    Raises OutputTooLarge over the limit and ValidationFailed (``invalid_output``) when
    the text is not JSON.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_OUTPUT_BYTES:
        raise _too_large(size)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationFailed(
            "The task output is not valid JSON text.", code="invalid_output"
        ) from exc
    return value


def check_output_size(value: Any) -> None:
    """Raise OutputTooLarge when ``value`` serialises to more than the limit."""
    size = len(json.dumps(value, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    if size > MAX_OUTPUT_BYTES:
        raise _too_large(size)


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


async def complete_task(
    session: AsyncSession,
    run_id: str,
    task_id: str,
    *,
    output: Any,
    output_is_undefined: bool,
    properties: list[Any] | None,
) -> Task:
    """Mark task ``task_id`` of run ``run_id`` COMPLETED with ``output``.

    ``output_is_undefined`` records that the callback returned ``undefined`` (the
    ServerTask then has no ``output`` key). ``properties`` become the task's
    ``outputProperties`` when given. An already finished task is returned unchanged.
    The caller checks that the run belongs to the requesting environment. Raises
    ValidationFailed (``invalid_output``) for values PostgreSQL cannot store.
    """
    problem = jsonb_problem(output) or jsonb_problem(properties)
    if problem is not None:
        raise ValidationFailed(
            f"The task output cannot be stored: {problem}", code="invalid_output"
        )
    task = await load_run_task(session, run_id, task_id)
    if task.status in FINISHED_TASK_STATUSES:
        return task
    attempt = await newest_pending_attempt(session, task.id)
    if attempt is not None:
        attempt.status = TaskAttemptStatus.COMPLETED
    task.status = TaskStatus.COMPLETED
    task.output = None if output_is_undefined else output
    task.output_is_undefined = output_is_undefined
    task.completed_at = datetime.now(UTC)
    if properties is not None:
        task.output_properties = display_properties(properties)
    await session.flush()
    return task
