"""RunTask: create-or-get one step of a run (``POST /api/v1/runs/{runId}/tasks``).

A task is keyed by ``(run, idempotencyKey)``. The first call creates it; every later
call with the same key returns it unchanged — including the fresh ``delayUntil``
that ``io.wait`` sends on each re-execution (wire protocol pitfall 6). The one
exception is a CANCELED task, which is re-opened as if new, but only while its run
has not finished, so a cancelled run keeps answering CANCELED.

Status of a new task (platform spec §6.2):

* CANCELED when the run has finished. v2 did this only for a CANCELED run; kongflow
  does it for every finished status (SUCCESS, FAILURE, TIMED_OUT…), because CANCELED
  is the one answer that stops the SDK before it runs the task's side effects, and a
  finished run takes no new work (``finish_run`` closes open tasks the same way);
* else WAITING when ``delayUntil`` is in the future or ``callback.enabled``;
* else COMPLETED when ``noop`` (logs, finished waits);
* else RUNNING (the SDK runs the body and then calls complete or fail).

A callback task gets an unguessable ``callbackUrl`` ending in a 24-hex-character
secret, and a timeout job (``callback:<taskId>``) that errors it if nothing is posted
in time. Background fetch operations (``operation``) are refused for now: the server
would have to perform the request itself.

Concurrent creates of one key are safe: the insert is ``ON CONFLICT DO NOTHING`` on
the unique ``(run_id, idempotency_key)``, and the loser reads the winner's row.

Every task of every run starts here, so it is plain statements on a connection in
autocommit (no ORM session, no ``BEGIN``/``COMMIT``): a new task is one statement,
which finds the run (and the parent task and connection named) and inserts the task
with its first attempt; a key already used takes one more, to read that task. A
callback task's insert and its timeout job commit together.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from kongflow.db.orm import Task, TaskAttempt
from kongflow.db.raw import atomic, jsonb
from kongflow.domain.enums import TaskChildExecutionMode, TaskStatus
from kongflow.domain.protocol.tasks import RunTaskBody, display_properties
from kongflow.domain.states import FINISHED_RUN_STATUSES
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import ValidationFailed
from kongflow.ids import new_id
from kongflow.services.runs.find_run import run_not_found
from kongflow.services.tasks.server_task import TASK_ROW_SQL
from kongflow.worker.defer import defer_job
from kongflow.worker.names import TASK_CALLBACK_TIMEOUT

DEFAULT_STYLE = {"style": "normal"}

# The run (of the caller's environment) and its task of this key, if any.
_FIND = f"""
SELECT r.status AS run_status, r.force_yield_immediately, {TASK_ROW_SQL}
FROM runs r LEFT JOIN tasks t ON t.run_id = r.id AND t.idempotency_key = $3
WHERE r.id = $1 AND r.environment_id = $2
"""


_TASK = f"SELECT {TASK_ROW_SQL} FROM tasks t WHERE t.id = $1"

# A CANCELED task of a run still going, opened again as if new.
_REOPEN = f"""
UPDATE tasks t
SET status = $2, started_at = $3, completed_at = $4, delay_until = $5,
    callback_url = COALESCE(t.callback_url, $6), updated_at = now()
WHERE t.id = $1 AND t.status = 'CANCELED'
RETURNING {TASK_ROW_SQL}
"""

_FINISHED_RUN = ", ".join(f"'{status.value}'" for status in sorted(FINISHED_RUN_STATUSES))

# In one statement: the run (of the caller's environment) and, when its parent is one
# of the run's tasks (or it has none), the task created with its first attempt. The
# task is CANCELED (``$22``, at ``$11``) when the run has finished, else in status
# ``$10`` (completed at ``$12``). No task is returned when the key exists already
# (``ON CONFLICT``) or the parent is not the run's; no row at all without the run.
_CREATE = f"""
WITH r AS (
    SELECT id, status, force_yield_immediately, status IN ({_FINISHED_RUN}) AS finished,
           ($6::varchar IS NULL OR EXISTS (
               SELECT 1 FROM tasks p WHERE p.id = $6 AND p.run_id = runs.id
           )) AS parent_ok
    FROM runs WHERE id = $2 AND environment_id = $23
), t AS (
    INSERT INTO tasks (
        id, run_id, idempotency_key, display_key, run_connection_id, parent_id, name,
        icon, description, status, started_at, completed_at, noop, delay_until, params,
        properties, redact, style, callback_url, child_execution_mode
    )
    SELECT $1, r.id, $3, $4,
           (SELECT c.id FROM run_connections c WHERE c.run_id = r.id AND c.key = $5),
           $6, $7, $8, $9,
           (CASE WHEN r.finished THEN $22 ELSE $10 END)::task_status, $11,
           CASE WHEN r.finished THEN $11::timestamptz ELSE $12::timestamptz END,
           $13, $14, $15, $16, $17, $18, $19, $20
    FROM r WHERE r.parent_ok
    ON CONFLICT (run_id, idempotency_key) DO NOTHING
    RETURNING *
), attempt AS (
    INSERT INTO task_attempts (id, number, task_id, status)
    SELECT $21, 1, id, 'PENDING' FROM t
)
SELECT r.status AS run_status, r.force_yield_immediately, r.parent_ok, t.*, 1 AS attempts
FROM r LEFT JOIN t ON true
"""


@dataclass(frozen=True)
class RunTaskResult:
    """The task as it is now (its row, with ``attempts``) and the run's ``forceYield``."""

    task: Mapping[str, Any]
    force_yield: bool


def callback_timeout_lock(task_id: str) -> str:
    """The queueing lock of task ``task_id``'s callback timeout job."""
    return f"callback:{task_id}"


async def run_task(
    connection: asyncpg.Connection,
    scope: EnvironmentScope,
    run_id: str,
    body: RunTaskBody,
    *,
    callback_base_url: str,
) -> RunTaskResult:
    """Return the task ``body.idempotency_key`` of run ``run_id``, creating it if new,
    with plain statements on ``connection`` (in autocommit or in an open transaction).

    ``callback_base_url`` is the server's public base URL, used to build callback
    URLs. Raises NotFound (``run_not_found``) for a run outside ``scope`` and
    ValidationFailed (``unsupported_operation``, ``parent_task_not_found``).
    """
    if "\x00" in run_id:  # PostgreSQL refuses NUL in a query parameter
        raise run_not_found(run_id)
    if body.operation is not None:
        if await connection.fetchrow(_FIND, run_id, scope.id, body.idempotency_key) is None:
            raise run_not_found(run_id)
        raise ValidationFailed(
            f"Background fetch operations ({body.operation!r}) are not supported by this "
            "kongflow server yet; use a regular task to make the request.",
            code="unsupported_operation",
        )
    now = datetime.now(UTC)
    status = _status_for(body, now)  # CANCELED instead if the run has finished
    task_id = new_id(Task.__id_prefix__)
    callback_url = (
        _callback_url(callback_base_url, run_id, task_id) if body.callback_enabled else None
    )
    mode = TaskChildExecutionMode.PARALLEL if body.parallel else TaskChildExecutionMode.SEQUENTIAL
    deadline = _callback_deadline(body, status, now)
    async with atomic(connection, needed=deadline is not None):
        row = await connection.fetchrow(
            _CREATE,
            task_id,
            run_id,
            body.idempotency_key,
            body.display_key,
            body.connection_key,
            body.parent_id,
            body.name if body.name is not None else "Task",
            body.icon,
            body.description,
            status.value,
            now,
            now if status is TaskStatus.COMPLETED else None,
            body.noop,
            body.delay_until,
            jsonb(body.params),
            jsonb(display_properties(body.properties)),
            jsonb(body.redact.model_dump(by_alias=True) if body.redact else None),
            jsonb(_style(body)),
            callback_url,
            mode.value,
            new_id(TaskAttempt.__id_prefix__),
            TaskStatus.CANCELED.value,
            scope.id,
        )
        created = row is not None and row["id"] is not None
        if created and deadline is not None and row["status"] == TaskStatus.WAITING:
            await _schedule_callback_timeout(connection, task_id, deadline)
    if row is None:
        raise run_not_found(run_id)
    if created:
        return RunTaskResult(row, row["force_yield_immediately"])
    # The key exists (or a concurrent request created it first), or the parent is not
    # one of the run's tasks, which only matters when the task is new.
    found = await connection.fetchrow(_FIND, run_id, scope.id, body.idempotency_key)
    if found is not None and found["id"] is not None:
        return await _existing_task(connection, found, body, now, callback_base_url)
    raise ValidationFailed(
        f"The parent task {body.parent_id!r} is not a task of this run.",
        code="parent_task_not_found",
    )


def _status_for(body: RunTaskBody, now: datetime) -> TaskStatus:
    """A new task's status in a run still going."""
    if (body.delay_until is not None and body.delay_until > now) or body.callback_enabled:
        return TaskStatus.WAITING
    if body.noop:
        return TaskStatus.COMPLETED
    return TaskStatus.RUNNING


def _style(body: RunTaskBody) -> dict[str, str]:
    if body.style is None:
        return dict(DEFAULT_STYLE)
    return body.style.model_dump(by_alias=True, exclude_none=True)


def _callback_url(base_url: str, run_id: str, task_id: str) -> str:
    secret = secrets.token_hex(12)
    return f"{base_url.rstrip('/')}/api/v1/runs/{run_id}/tasks/{task_id}/callback/{secret}"


async def _existing_task(
    connection: asyncpg.Connection,
    found: Mapping[str, Any],
    body: RunTaskBody,
    now: datetime,
    callback_base_url: str,
) -> RunTaskResult:
    """Return the task of row ``found`` as it is, re-opening it first if it was CANCELED
    and the run is still going (platform spec §6.2 step 2)."""
    force_yield = bool(found["force_yield_immediately"])
    if found["status"] != TaskStatus.CANCELED or found["run_status"] in FINISHED_RUN_STATUSES:
        return RunTaskResult(found, force_yield)
    status = _status_for(body, now)
    task_id = found["id"]
    callback_url = (
        _callback_url(callback_base_url, found["run_id"], task_id)
        if body.callback_enabled
        else None
    )
    deadline = _callback_deadline(body, status, now)
    async with atomic(connection, needed=deadline is not None):
        # The status was computed from this request's delay: the two are kept together.
        reopened = await connection.fetchrow(
            _REOPEN,
            task_id,
            status.value,
            now,
            now if status is TaskStatus.COMPLETED else None,
            body.delay_until,
            callback_url,
        )
        if reopened is not None and deadline is not None:
            await _schedule_callback_timeout(connection, task_id, deadline)
    if reopened is None:  # a concurrent request re-opened it first
        return RunTaskResult(await connection.fetchrow(_TASK, task_id), force_yield)
    return RunTaskResult(reopened, force_yield)


def _callback_deadline(body: RunTaskBody, status: TaskStatus, now: datetime) -> datetime | None:
    """When a task of this status waiting for its callback times out (None: never, or
    not a callback task)."""
    if status is not TaskStatus.WAITING or body.callback is None or not body.callback.enabled:
        return None
    timeout = body.callback.timeout_in_seconds
    return now + timedelta(seconds=timeout) if timeout > 0 else None


async def _schedule_callback_timeout(
    connection: asyncpg.Connection, task_id: str, deadline: datetime
) -> None:
    """Queue the job that errors a callback task nobody calls back by ``deadline``."""
    await defer_job(
        connection,
        TASK_CALLBACK_TIMEOUT,
        {"task_id": task_id},
        queueing_lock=callback_timeout_lock(task_id),
        replace=True,
        scheduled_at=deadline,
    )
