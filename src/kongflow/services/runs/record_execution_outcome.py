"""Record what one EXECUTE_JOB call produced and decide the run's next step.

The endpoint's answer (or its absence) maps onto the run's state machine as in the
v2 platform (spec §5.5), in one transaction with the follow-up work it implies:

* final answers (SUCCESS, ERROR, INVALID_PAYLOAD, UNRESOLVED_AUTH_ERROR) finish the run;
* RESUME_WITH_TASK and RETRY_WITH_TASK park it until a task is due (WAITING_TO_CONTINUE);
* yields and auto-yields queue the next execution at once (WAITING_TO_EXECUTE);
* no answer or a 5xx is retried with growing delays (up to 10 times; never in a
  DEVELOPMENT environment, which fails fast), a 4xx or a malformed body fails;
* a serverless-function timeout continues the run, unless it made no progress or ran
  past the organization's time budget.

The caller gives back the concurrency place the execution held, in the same
transaction. A plain SUCCESS (:func:`plain_success`) needs none of this: the caller
finishes the run in one statement instead (``finish_run.finish_execution``).
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from kongflow.db.orm import Run, RunAutoYieldExecution, RunSubscription, TaskAttempt
from kongflow.db.raw import column_values, jsonb, select_list, transient, write_changes
from kongflow.domain.backoff import MAX_EXECUTION_FAILURES, execution_retry_delay
from kongflow.domain.enums import (
    EnvironmentType,
    RunStatus,
    RunSubscriptionEvent,
    RunSubscriptionRecipientMethod,
)
from kongflow.domain.protocol.index import describe_validation_error
from kongflow.domain.protocol.runs import (
    RUN_JOB_RESPONSE,
    AutoYield,
    AutoYieldRateLimit,
    AutoYieldWithCompletedTask,
    Canceled,
    ChildOutcome,
    Error,
    ErrorWithStack,
    InvalidPayload,
    ResumeWithParallelTask,
    ResumeWithTask,
    RetryWithTask,
    RunJobResponse,
    Success,
    UnresolvedAuth,
    YieldExecution,
)
from kongflow.domain.states import check_run_transition
from kongflow.ids import new_id
from kongflow.services.endpoints.endpoint_api import EndpointError, RawAnswer
from kongflow.services.runs.finish_run import finish_run
from kongflow.services.runs.queue_execution import queue_execution, queue_task_resume
from kongflow.services.tasks.complete_task import complete_task
from kongflow.services.tasks.fail_task import format_task_error

logger = logging.getLogger(__name__)

MAX_YIELDS = 100

# Every statement is plain (``db/raw.py``), on the connection of the transaction the
# caller opened: through the ORM, the run's locked read and its update alone were a
# tenth of the CPU a whole run costs.
_LOCK_RUN = f"SELECT {select_list(Run, 'run')} FROM runs run WHERE run.id = $1 FOR UPDATE"
_ENVIRONMENT_TYPE = "SELECT type FROM environments WHERE id = $1"
_EXECUTION_BUDGET = "SELECT maximum_execution_time_per_run_in_ms FROM organizations WHERE id = $1"
_TASK_COUNT = "SELECT count(*) FROM tasks WHERE run_id = $1"
_SET_ENDPOINT_VERSION = "UPDATE endpoints SET version = $2, updated_at = now() WHERE id = $1"
_SET_CHUNK_LIMIT = (
    "UPDATE endpoints SET run_chunk_execution_limit = $2, updated_at = now() WHERE id = $1"
)
_SUBSCRIBE = (
    "INSERT INTO run_subscriptions (id, run_id, recipient, recipient_method, event) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, recipient, event) DO NOTHING"
)
_SET_OUTPUT_PROPERTIES = "UPDATE tasks SET output_properties = $2, updated_at = now() WHERE id = $1"
_ERROR_TASK = (
    "UPDATE tasks SET status = 'ERRORED', completed_at = $3, output = $4, updated_at = now() "
    "WHERE id = $1 AND run_id = $2"
)
_RECORD_AUTO_YIELD = (
    "INSERT INTO run_auto_yield_executions "
    '(id, run_id, location, time_remaining, time_elapsed, "limit") '
    "VALUES ($1, $2, $3, $4, $5, $6)"
)
_LOCK_TASK = "SELECT true FROM tasks WHERE id = $1 AND run_id = $2 FOR UPDATE"
# A task's failed attempt: the pending attempt errors, the next one waits for ``$4``.
_RETRY_TASK = """
WITH last AS (
    SELECT id, number, status FROM task_attempts WHERE task_id = $1
    ORDER BY number DESC LIMIT 1
), closed AS (
    UPDATE task_attempts SET status = 'ERRORED', error = $2, updated_at = now()
    WHERE id = (SELECT id FROM last WHERE status = 'PENDING')
), opened AS (
    INSERT INTO task_attempts (id, task_id, number, status, run_at)
    SELECT $3, $1, COALESCE((SELECT number FROM last), 0) + 1, 'PENDING', $4
)
UPDATE tasks SET status = 'WAITING', updated_at = now() WHERE id = $1
"""
MIN_CHUNK_MS = 10_000
MAX_CHUNK_MS = 120_000


class _Fail(Exception):
    """Internal: finish the run with ``status`` and ``output``."""

    def __init__(self, status: RunStatus, output: Any) -> None:
        self.status = status
        self.output = output


async def record_execution_outcome(
    connection: asyncpg.Connection,
    run_id: str,
    answer: RawAnswer | EndpointError,
    *,
    task_count_before: int,
    endpoint_version: str,
) -> None:
    """Apply ``answer`` to run ``run_id`` (which this execution marked EXECUTING);
    ``endpoint_version`` is the endpoint's protocol version when the call was made."""
    row = await connection.fetchrow(_LOCK_RUN, run_id)
    if row is None:
        return
    run = transient(Run, row, "run")
    if run.status is not RunStatus.EXECUTING:
        return  # cancelled (or otherwise finished) while the endpoint was working
    read = column_values(run)
    elapsed = int(answer.elapsed_ms) if isinstance(answer, RawAnswer) else 0
    run.execution_duration += elapsed
    run.execution_count += 1
    try:
        if isinstance(answer, EndpointError):
            await _retry_later(connection, run, {"message": answer.message})
        else:
            await _interpret(connection, run, answer, elapsed, task_count_before, endpoint_version)
    except _Fail as failure:
        await finish_run(connection, run, failure.status, failure.output)
    await write_changes(connection, run, read)


def plain_success(answer: RawAnswer | EndpointError, endpoint_version: str) -> Success | None:
    """The SUCCESS ``answer`` carries, when recording it takes nothing but finishing the
    run (``finish_execution``): no protocol version change to note and no
    notification asked for. None for every other answer."""
    if not isinstance(answer, RawAnswer) or not 200 <= answer.status_code < 300:
        return None
    version = answer.headers.get("trigger-version")
    if (version and version != endpoint_version) or _wanted_notifications(
        answer.headers.get("x-trigger-run-metadata")
    ):
        return None
    try:
        outcome = RUN_JOB_RESPONSE.validate_python(json.loads(answer.content))
    except (ValueError, ValidationError):
        return None
    return outcome if isinstance(outcome, Success) else None


async def _interpret(
    connection: asyncpg.Connection,
    run: Run,
    answer: RawAnswer,
    elapsed: int,
    task_count_before: int,
    endpoint_version: str,
) -> None:
    version = answer.headers.get("trigger-version")
    if version and version != endpoint_version:
        await connection.execute(_SET_ENDPOINT_VERSION, run.endpoint_id, version)
    if not run.internal:
        await _subscribe_endpoint(connection, run, answer.headers.get("x-trigger-run-metadata"))

    if not 200 <= answer.status_code < 300:
        await _handle_error_status(connection, run, answer, elapsed, task_count_before)
        return
    try:
        body = json.loads(answer.content)
    except ValueError:
        raise _Fail(
            RunStatus.FAILURE, {"message": "Endpoint responded with invalid JSON"}
        ) from None
    try:
        outcome = RUN_JOB_RESPONSE.validate_python(body)
    except ValidationError as exc:
        problems = "; ".join(describe_validation_error(exc)[:10])
        raise _Fail(
            RunStatus.FAILURE,
            {"message": f"Endpoint responded with an invalid execution result: {problems}"},
        ) from None
    await _apply(connection, run, outcome)


async def _apply(connection: asyncpg.Connection, run: Run, outcome: RunJobResponse) -> None:
    if isinstance(outcome, Success):
        raise _Fail(RunStatus.SUCCESS, outcome.output)
    if isinstance(outcome, ResumeWithParallelTask):
        _park(run)
        await _store_output_properties(connection, outcome.task.id, outcome.task.output_properties)
        run.force_yield_immediately = False
        for child in outcome.child_errors:
            await _apply_child(connection, run, child)
        return
    await _apply_child(connection, run, outcome)


async def _apply_child(
    connection: asyncpg.Connection, run: Run, outcome: RunJobResponse | ChildOutcome
) -> None:
    """Outcomes that may also arrive as children of a parallel task."""
    if isinstance(outcome, Error):
        if outcome.task is not None:
            await _error_task(connection, run.id, outcome.task.id, outcome.error)
        raise _Fail(RunStatus.FAILURE, outcome.error.model_dump(exclude_none=True))
    if isinstance(outcome, InvalidPayload):
        raise _Fail(RunStatus.INVALID_PAYLOAD, outcome.errors)
    if isinstance(outcome, UnresolvedAuth):
        raise _Fail(RunStatus.UNRESOLVED_AUTH, outcome.issues)
    if isinstance(outcome, ResumeWithTask):
        _park(run)
        task = outcome.task
        await _store_output_properties(connection, task.id, task.output_properties)
        if not task.operation and not task.callback_url:
            await queue_task_resume(connection, run.id, task.id, at=task.delay_until)
    elif isinstance(outcome, RetryWithTask):
        _park(run)
        await _record_retry(connection, run.id, outcome)
    elif isinstance(outcome, Canceled):
        return  # the run was cancelled; the SDK has stopped
    elif isinstance(outcome, YieldExecution):
        if len(run.yielded_executions) + 1 > MAX_YIELDS:
            raise _Fail(RunStatus.FAILURE, {"message": f"Run yielded more than {MAX_YIELDS} times"})
        run.yielded_executions = [*run.yielded_executions, outcome.key]
        await _continue(connection, run)
    elif isinstance(outcome, AutoYield):
        await _record_auto_yield(connection, run, outcome.location, outcome.time_remaining,
                                 outcome.time_elapsed, outcome.limit)  # fmt: skip
        await _continue(connection, run)
    elif isinstance(outcome, AutoYieldWithCompletedTask):
        output = json.loads(outcome.output) if outcome.output is not None else None
        await complete_task(
            connection,
            run.id,
            outcome.id,
            output=output,
            output_is_undefined=outcome.output is None,
            properties=outcome.properties,
        )
        data = outcome.data
        await _record_auto_yield(connection, run, data.location, data.time_remaining,
                                 data.time_elapsed, data.limit)  # fmt: skip
        await _continue(connection, run)
    elif isinstance(outcome, AutoYieldRateLimit):
        await _continue(connection, run, at=datetime.fromtimestamp(outcome.reset / 1000, UTC))


def _park(run: Run) -> None:
    """The run waits for a task (a delay, a retry, a callback)."""
    if run.status is not RunStatus.WAITING_TO_CONTINUE:
        check_run_transition(run.status, RunStatus.WAITING_TO_CONTINUE)
        run.status = RunStatus.WAITING_TO_CONTINUE


async def _continue(
    connection: asyncpg.Connection, run: Run, *, at: datetime | None = None
) -> None:
    """Execute the run again (now, or at ``at``)."""
    if run.status is not RunStatus.WAITING_TO_EXECUTE:
        check_run_transition(run.status, RunStatus.WAITING_TO_EXECUTE)
        run.status = RunStatus.WAITING_TO_EXECUTE
    run.force_yield_immediately = False
    await queue_execution(connection, run.id, at=at, resume=True)


async def _retry_later(connection: asyncpg.Connection, run: Run, reason: dict[str, Any]) -> None:
    """No usable answer: try the execution again later, a bounded number of times."""
    environment_type = await connection.fetchval(_ENVIRONMENT_TYPE, run.environment_id)
    run.execution_failure_count += 1
    if (
        environment_type == EnvironmentType.DEVELOPMENT
        or run.execution_failure_count >= MAX_EXECUTION_FAILURES
    ):
        raise _Fail(RunStatus.FAILURE, reason)
    await _continue(
        connection,
        run,
        at=datetime.now(UTC) + execution_retry_delay(run.execution_failure_count),
    )


def _error_body(answer: RawAnswer) -> dict[str, Any] | None:
    try:
        body = json.loads(answer.content)
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return {k: body[k] for k in ("message", "name", "stack") if isinstance(body.get(k), str)}
    return None


def _looks_like_function_timeout(answer: RawAnswer) -> bool:
    text = answer.text
    return (
        answer.status_code in (408, 504)
        or answer.headers.get("x-vercel-error") == "FUNCTION_INVOCATION_TIMEOUT"
        or (answer.status_code == 502 and "TIME_LIMIT" in text)
        or (
            answer.status_code == 503
            and "Worker exceeded resource limits" in text
            and "cf-ray" in answer.headers
        )
    )


async def _handle_error_status(
    connection: asyncpg.Connection,
    run: Run,
    answer: RawAnswer,
    elapsed: int,
    task_count_before: int,
) -> None:
    status = answer.status_code
    error = _error_body(answer)
    if error is not None:
        if 400 <= status < 500:
            raise _Fail(RunStatus.FAILURE, error)
        await _retry_later(connection, run, error)
        return
    if 400 <= status < 500 and status != 408:
        raise _Fail(RunStatus.FAILURE, {"message": f"Endpoint responded with {status} status code"})
    if _looks_like_function_timeout(answer):
        await _continue_after_timeout(connection, run, elapsed, task_count_before)
        return
    await _retry_later(
        connection, run, {"message": f"Endpoint responded with {status} status code"}
    )


async def _continue_after_timeout(
    connection: asyncpg.Connection, run: Run, elapsed: int, task_count_before: int
) -> None:
    budget = await connection.fetchval(_EXECUTION_BUDGET, run.organization_id)
    if budget is not None and run.execution_duration >= budget:
        raise _Fail(
            RunStatus.TIMED_OUT,
            {"message": f"Execution timed out after {run.execution_duration // 1000} seconds"},
        )
    task_count = await connection.fetchval(_TASK_COUNT, run.id)
    if task_count == task_count_before:
        raise _Fail(
            RunStatus.TIMED_OUT,
            {"message": "The endpoint timed out without making progress (no new task)"},
        )
    chunk = max(MIN_CHUNK_MS, min(elapsed, MAX_CHUNK_MS))
    await connection.execute(_SET_CHUNK_LIMIT, run.endpoint_id, chunk)
    await _continue(connection, run)


def _wanted_notifications(metadata: str | None) -> list[RunSubscriptionEvent]:
    """The run ends the job's onSuccess/onFailure handlers want to hear of, from the
    ``x-trigger-run-metadata`` header of an EXECUTE_JOB answer."""
    if not metadata:
        return []
    try:
        flags = json.loads(metadata)
    except ValueError:
        return []
    if not isinstance(flags, dict):
        return []
    return [
        event
        for flag, event in (
            ("successSubscription", RunSubscriptionEvent.SUCCESS),
            ("failedSubscription", RunSubscriptionEvent.FAILURE),
        )
        if flags.get(flag) is True
    ]


async def _subscribe_endpoint(
    connection: asyncpg.Connection, run: Run, metadata: str | None
) -> None:
    """Remember that the job wants RUN_NOTIFICATION (its onSuccess/onFailure handlers)."""
    for event in _wanted_notifications(metadata):
        await connection.execute(
            _SUBSCRIBE, new_id(RunSubscription.__id_prefix__), run.id, run.endpoint_id,
            RunSubscriptionRecipientMethod.ENDPOINT.value, event.value,
        )  # fmt: skip


async def _store_output_properties(
    connection: asyncpg.Connection, task_id: str, properties: list[dict[str, Any]] | None
) -> None:
    if properties:
        await connection.execute(_SET_OUTPUT_PROPERTIES, task_id, jsonb(properties))


async def _error_task(
    connection: asyncpg.Connection, run_id: str, task_id: str, error: ErrorWithStack
) -> None:
    output = jsonb(error.model_dump(exclude_none=True))
    await connection.execute(_ERROR_TASK, task_id, run_id, datetime.now(UTC), output)


async def _record_retry(
    connection: asyncpg.Connection, run_id: str, outcome: RetryWithTask
) -> None:
    """Close the failed attempt, open the next one at ``retryAt``, and park the task."""
    task_id = outcome.task.id
    if not await connection.fetchval(_LOCK_TASK, task_id, run_id):
        raise _Fail(RunStatus.FAILURE, {"message": f"Unknown task {task_id} to retry"})
    error = format_task_error(outcome.error.model_dump(exclude_none=True))
    await connection.execute(
        _RETRY_TASK, task_id, error, new_id(TaskAttempt.__id_prefix__), outcome.retry_at
    )
    await queue_task_resume(connection, run_id, task_id, at=outcome.retry_at)


async def _record_auto_yield(
    connection: asyncpg.Connection,
    run: Run,
    location: str,
    time_remaining: float,
    time_elapsed: float,
    limit: float | None,
) -> None:
    await connection.execute(
        _RECORD_AUTO_YIELD, new_id(RunAutoYieldExecution.__id_prefix__), run.id, location,
        int(time_remaining), int(time_elapsed), int(limit or 0),
    )  # fmt: skip
