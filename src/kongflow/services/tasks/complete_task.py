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


_FINISHED = ", ".join(f"'{status.value}'" for status in sorted(FINISHED_TASK_STATUSES))
# ``$3`` null skips the environment check (the run engine's own calls).
_IN_SCOPE = "t.id = $1 AND t.run_id = $2 AND ($3::varchar IS NULL OR r.environment_id = $3)"
_RUN_IN_SCOPE = "SELECT EXISTS (SELECT 1 FROM runs WHERE id = $1 AND environment_id = $2)"
_FIND = f"""
SELECT {TASK_ROW_SQL}, r.force_yield_immediately
FROM tasks t JOIN runs r ON r.id = t.run_id
WHERE {_IN_SCOPE}
"""

# The unfinished task and its newest PENDING attempt complete together, in one
# statement that is atomic on its own; nothing is returned when the task is not there
# or has finished (a concurrent completion is waited for, then seen finished).
_COMPLETE = f"""
WITH done AS (
    UPDATE tasks t
    SET status = 'COMPLETED', output = $4, output_is_undefined = $5, completed_at = $6,
        output_properties = CASE WHEN $7 THEN $8 ELSE t.output_properties END,
        updated_at = now()
    FROM runs r
    WHERE r.id = t.run_id AND {_IN_SCOPE}
      AND t.status NOT IN ({_FINISHED})
    RETURNING t.*, r.force_yield_immediately
), attempt AS (
    UPDATE task_attempts SET status = 'COMPLETED', updated_at = now()
    WHERE id = (
        SELECT id FROM task_attempts
        WHERE task_id = (SELECT id FROM done) AND status = 'PENDING'
        ORDER BY number DESC LIMIT 1
    )
)
SELECT done.*, (SELECT count(*) FROM task_attempts a WHERE a.task_id = done.id) AS attempts
FROM done
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
    task row with ``attempts`` and the run's ``force_yield_immediately``.

    Every task completes here, so it is one plain statement on ``connection`` (in
    autocommit or in the caller's transaction), and a second only when the task is
    missing or already finished. ``output_is_undefined`` records that the callback
    returned ``undefined`` (the ServerTask then has no ``output`` key).
    ``properties`` become the task's ``outputProperties`` when given. An already
    finished task is returned unchanged. With ``scope``, the run must belong to that
    environment. Raises NotFound (``run_not_found``, ``task_not_found``) and
    ValidationFailed (``invalid_output``) for values PostgreSQL cannot store.
    """
    problem = jsonb_problem(output) or jsonb_problem(properties)
    if problem is not None:
        raise ValidationFailed(
            f"The task output cannot be stored: {problem}", code="invalid_output"
        )
    scope_id = scope.id if scope is not None else None
    task = None
    if "\x00" not in run_id + task_id:  # PostgreSQL refuses NUL in a query parameter
        task = await connection.fetchrow(
            _COMPLETE,
            task_id,
            run_id,
            scope_id,
            None if output_is_undefined else jsonb(output),
            output_is_undefined,
            datetime.now(UTC),
            properties is not None,
            jsonb(display_properties(properties)) if properties is not None else None,
        ) or await connection.fetchrow(_FIND, task_id, run_id, scope_id)
    if task is not None:
        return dict(task)
    if scope is not None and not await _has_run(connection, scope, run_id):
        raise run_not_found(run_id)  # before task_not_found, as v2
    raise NotFound("Task not found", code="task_not_found")


async def _has_run(connection: asyncpg.Connection, scope: EnvironmentScope, run_id: str) -> bool:
    return "\x00" not in run_id and bool(await connection.fetchval(_RUN_IN_SCOPE, run_id, scope.id))
