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

import asyncpg

from kongflow.db.raw import jsonb
from kongflow.domain.enums import TaskStatus
from kongflow.domain.json_values import jsonb_problem
from kongflow.domain.protocol.tasks import display_properties
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import KongflowError, NotFound, ValidationFailed
from kongflow.services.runs.find_run import run_not_found
from kongflow.services.tasks.server_task import TASK_ROW_SQL

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


# The task (locked) with its attempt count and its run's flag; ``$3`` null skips the
# environment check (the run engine's own calls).
_RUN_IN_SCOPE = "SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1 AND environment_id = $2)"
_LOCK = f"""
SELECT {TASK_ROW_SQL}, r.force_yield_immediately
FROM tasks t JOIN runs r ON r.id = t.run_id
WHERE t.id = $1 AND t.run_id = $2 AND ($3::varchar IS NULL OR r.environment_id = $3)
FOR UPDATE OF t
"""

# The newest PENDING attempt completes with its task.
_COMPLETE = """
WITH attempt AS (
    UPDATE task_attempts SET status = 'COMPLETED', updated_at = now()
    WHERE id = (
        SELECT id FROM task_attempts WHERE task_id = $1 AND status = 'PENDING'
        ORDER BY number DESC LIMIT 1
    )
)
UPDATE tasks
SET status = 'COMPLETED', output = $2, output_is_undefined = $3, completed_at = $4,
    output_properties = CASE WHEN $5 THEN $6 ELSE output_properties END,
    updated_at = now()
WHERE id = $1
RETURNING *
"""


async def complete_task(
    connection: asyncpg.Connection,
    run_id: str,
    task_id: str,
    *,
    output: Any,
    output_is_undefined: bool,
    properties: list[Any] | None,
    scope: EnvironmentScope | None = None,
) -> dict[str, Any]:
    """Mark task ``task_id`` of run ``run_id`` COMPLETED with ``output``; returns the
    task row with ``attempts`` and the run's ``force_yield_immediately``. Plain
    statements on ``connection``, in its open transaction: every task completes here.

    ``output_is_undefined`` records that the callback returned ``undefined`` (the
    ServerTask then has no ``output`` key). ``properties`` become the task's
    ``outputProperties`` when given. An already finished task is returned unchanged.
    With ``scope``, the run must belong to that environment. Raises NotFound
    (``run_not_found``, ``task_not_found``) and ValidationFailed (``invalid_output``)
    for values PostgreSQL cannot store.
    """
    problem = jsonb_problem(output) or jsonb_problem(properties)
    if problem is not None:
        raise ValidationFailed(
            f"The task output cannot be stored: {problem}", code="invalid_output"
        )
    found = None
    if "\x00" not in run_id + task_id:  # PostgreSQL refuses NUL in a query parameter
        found = await connection.fetchrow(
            _LOCK, task_id, run_id, scope.id if scope is not None else None
        )
    if found is None:
        if scope is not None and not await _has_run(connection, scope, run_id):
            raise run_not_found(run_id)  # before task_not_found, as v2
        raise NotFound("Task not found", code="task_not_found")
    task = dict(found)
    if task["status"] in FINISHED_TASK_STATUSES:
        return task
    updated = await connection.fetchrow(
        _COMPLETE,
        task_id,
        None if output_is_undefined else jsonb(output),
        output_is_undefined,
        datetime.now(UTC),
        properties is not None,
        jsonb(display_properties(properties)) if properties is not None else None,
    )
    assert updated is not None  # the row is locked
    task.update(updated)
    return task


async def _has_run(connection: asyncpg.Connection, scope: EnvironmentScope, run_id: str) -> bool:
    return "\x00" not in run_id and bool(await connection.fetchval(_RUN_IN_SCOPE, run_id, scope.id))
