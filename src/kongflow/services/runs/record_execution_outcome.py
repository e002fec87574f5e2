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

The caller gives back the concurrency place the execution held once this commits.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    Endpoint,
    Environment,
    Organization,
    Run,
    RunAutoYieldExecution,
    RunSubscription,
    Task,
    TaskAttempt,
)
from kongflow.db.raw import column_values, driver_connection, select_list, transient, write_changes
from kongflow.domain.backoff import MAX_EXECUTION_FAILURES, execution_retry_delay
from kongflow.domain.enums import (
    EnvironmentType,
    RunStatus,
    RunSubscriptionEvent,
    RunSubscriptionRecipientMethod,
    TaskAttemptStatus,
    TaskStatus,
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
from kongflow.services.endpoints.endpoint_api import EndpointError, RawAnswer
from kongflow.services.runs.finish_run import finish_run
from kongflow.services.runs.queue_execution import queue_execution, queue_task_resume
from kongflow.services.tasks.complete_task import complete_task
from kongflow.services.tasks.fail_task import format_task_error

logger = logging.getLogger(__name__)

MAX_YIELDS = 100

# The run is read and written with plain statements (``db/raw.py``): through the ORM
# its locked read and its update were a tenth of the CPU a whole run costs.
_LOCK_RUN = f"SELECT {select_list(Run, 'run')} FROM runs run WHERE run.id = $1 FOR UPDATE"
MIN_CHUNK_MS = 10_000
MAX_CHUNK_MS = 120_000


class _Fail(Exception):
    """Internal: finish the run with ``status`` and ``output``."""

    def __init__(self, status: RunStatus, output: Any) -> None:
        self.status = status
        self.output = output


async def record_execution_outcome(
    session: AsyncSession,
    run_id: str,
    answer: RawAnswer | EndpointError,
    *,
    task_count_before: int,
    endpoint_version: str,
) -> None:
    """Apply ``answer`` to run ``run_id`` (which this execution marked EXECUTING);
    ``endpoint_version`` is the endpoint's protocol version when the call was made."""
    connection = await driver_connection(session)
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
            await _retry_later(session, run, {"message": answer.message})
        else:
            await _interpret(session, run, answer, elapsed, task_count_before, endpoint_version)
    except _Fail as failure:
        await finish_run(session, run, failure.status, failure.output)
    await write_changes(session, run, read)
    await session.flush()


async def _interpret(
    session: AsyncSession,
    run: Run,
    answer: RawAnswer,
    elapsed: int,
    task_count_before: int,
    endpoint_version: str,
) -> None:
    version = answer.headers.get("trigger-version")
    if version and version != endpoint_version:
        await session.execute(
            update(Endpoint).where(Endpoint.id == run.endpoint_id).values(version=version)
        )
    if not run.internal:
        await _subscribe_endpoint(session, run, answer.headers.get("x-trigger-run-metadata"))

    if not 200 <= answer.status_code < 300:
        await _handle_error_status(session, run, answer, elapsed, task_count_before)
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
    await _apply(session, run, outcome)


async def _apply(session: AsyncSession, run: Run, outcome: RunJobResponse) -> None:
    if isinstance(outcome, Success):
        raise _Fail(RunStatus.SUCCESS, outcome.output)
    if isinstance(outcome, ResumeWithParallelTask):
        _park(run)
        await _store_output_properties(session, outcome.task.id, outcome.task.output_properties)
        run.force_yield_immediately = False
        for child in outcome.child_errors:
            await _apply_child(session, run, child)
        return
    await _apply_child(session, run, outcome)


async def _apply_child(
    session: AsyncSession, run: Run, outcome: RunJobResponse | ChildOutcome
) -> None:
    """Outcomes that may also arrive as children of a parallel task."""
    if isinstance(outcome, Error):
        if outcome.task is not None:
            await _error_task(session, run.id, outcome.task.id, outcome.error)
        raise _Fail(RunStatus.FAILURE, outcome.error.model_dump(exclude_none=True))
    if isinstance(outcome, InvalidPayload):
        raise _Fail(RunStatus.INVALID_PAYLOAD, outcome.errors)
    if isinstance(outcome, UnresolvedAuth):
        raise _Fail(RunStatus.UNRESOLVED_AUTH, outcome.issues)
    if isinstance(outcome, ResumeWithTask):
        _park(run)
        task = outcome.task
        await _store_output_properties(session, task.id, task.output_properties)
        if not task.operation and not task.callback_url:
            await queue_task_resume(session, run.id, task.id, at=task.delay_until)
    elif isinstance(outcome, RetryWithTask):
        _park(run)
        await _record_retry(session, run.id, outcome)
    elif isinstance(outcome, Canceled):
        return  # the run was cancelled; the SDK has stopped
    elif isinstance(outcome, YieldExecution):
        if len(run.yielded_executions) + 1 > MAX_YIELDS:
            raise _Fail(RunStatus.FAILURE, {"message": f"Run yielded more than {MAX_YIELDS} times"})
        run.yielded_executions = [*run.yielded_executions, outcome.key]
        await _continue(session, run)
    elif isinstance(outcome, AutoYield):
        await _record_auto_yield(session, run, outcome.location, outcome.time_remaining,
                                 outcome.time_elapsed, outcome.limit)  # fmt: skip
        await _continue(session, run)
    elif isinstance(outcome, AutoYieldWithCompletedTask):
        output = json.loads(outcome.output) if outcome.output is not None else None
        await complete_task(
            await driver_connection(session),
            run.id,
            outcome.id,
            output=output,
            output_is_undefined=outcome.output is None,
            properties=outcome.properties,
        )
        data = outcome.data
        await _record_auto_yield(session, run, data.location, data.time_remaining,
                                 data.time_elapsed, data.limit)  # fmt: skip
        await _continue(session, run)
    elif isinstance(outcome, AutoYieldRateLimit):
        await _continue(session, run, at=datetime.fromtimestamp(outcome.reset / 1000, UTC))


def _park(run: Run) -> None:
    """The run waits for a task (a delay, a retry, a callback)."""
    if run.status is not RunStatus.WAITING_TO_CONTINUE:
        check_run_transition(run.status, RunStatus.WAITING_TO_CONTINUE)
        run.status = RunStatus.WAITING_TO_CONTINUE


async def _continue(session: AsyncSession, run: Run, *, at: datetime | None = None) -> None:
    """Execute the run again (now, or at ``at``)."""
    if run.status is not RunStatus.WAITING_TO_EXECUTE:
        check_run_transition(run.status, RunStatus.WAITING_TO_EXECUTE)
        run.status = RunStatus.WAITING_TO_EXECUTE
    run.force_yield_immediately = False
    await queue_execution(session, run.id, at=at, resume=True)


async def _retry_later(session: AsyncSession, run: Run, reason: dict[str, Any]) -> None:
    """No usable answer: try the execution again later, a bounded number of times."""
    environment_type = await session.scalar(
        select(Environment.type).where(Environment.id == run.environment_id)
    )
    run.execution_failure_count += 1
    if (
        environment_type is EnvironmentType.DEVELOPMENT
        or run.execution_failure_count >= MAX_EXECUTION_FAILURES
    ):
        raise _Fail(RunStatus.FAILURE, reason)
    await _continue(
        session,
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
    session: AsyncSession,
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
        await _retry_later(session, run, error)
        return
    if 400 <= status < 500 and status != 408:
        raise _Fail(RunStatus.FAILURE, {"message": f"Endpoint responded with {status} status code"})
    if _looks_like_function_timeout(answer):
        await _continue_after_timeout(session, run, elapsed, task_count_before)
        return
    await _retry_later(session, run, {"message": f"Endpoint responded with {status} status code"})


async def _continue_after_timeout(
    session: AsyncSession, run: Run, elapsed: int, task_count_before: int
) -> None:
    budget = await session.scalar(
        select(Organization.maximum_execution_time_per_run_in_ms).where(
            Organization.id == run.organization_id
        )
    )
    if budget is not None and run.execution_duration >= budget:
        raise _Fail(
            RunStatus.TIMED_OUT,
            {"message": f"Execution timed out after {run.execution_duration // 1000} seconds"},
        )
    task_count = await session.scalar(
        select(func.count()).select_from(Task).where(Task.run_id == run.id)
    )
    if task_count == task_count_before:
        raise _Fail(
            RunStatus.TIMED_OUT,
            {"message": "The endpoint timed out without making progress (no new task)"},
        )
    await session.execute(
        update(Endpoint)
        .where(Endpoint.id == run.endpoint_id)
        .values(run_chunk_execution_limit=max(MIN_CHUNK_MS, min(elapsed, MAX_CHUNK_MS)))
    )
    await _continue(session, run)


async def _subscribe_endpoint(session: AsyncSession, run: Run, metadata: str | None) -> None:
    """Remember that the job wants RUN_NOTIFICATION (its onSuccess/onFailure handlers)."""
    if not metadata:
        return
    try:
        flags = json.loads(metadata)
    except ValueError:
        return
    if not isinstance(flags, dict):
        return
    wanted = [
        event
        for flag, event in (
            ("successSubscription", RunSubscriptionEvent.SUCCESS),
            ("failedSubscription", RunSubscriptionEvent.FAILURE),
        )
        if flags.get(flag) is True
    ]
    for event in wanted:
        await session.execute(
            insert(RunSubscription)
            .values(
                run_id=run.id,
                recipient=run.endpoint_id,
                recipient_method=RunSubscriptionRecipientMethod.ENDPOINT,
                event=event,
            )
            .on_conflict_do_nothing(index_elements=["run_id", "recipient", "event"])
        )


async def _store_output_properties(
    session: AsyncSession, task_id: str, properties: list[dict[str, Any]] | None
) -> None:
    if properties:
        await session.execute(
            update(Task).where(Task.id == task_id).values(output_properties=properties)
        )


async def _error_task(
    session: AsyncSession, run_id: str, task_id: str, error: ErrorWithStack
) -> None:
    await session.execute(
        update(Task)
        .where(Task.id == task_id, Task.run_id == run_id)
        .values(
            status=TaskStatus.ERRORED,
            completed_at=datetime.now(UTC),
            output=error.model_dump(exclude_none=True),
        )
    )


async def _record_retry(session: AsyncSession, run_id: str, outcome: RetryWithTask) -> None:
    """Close the failed attempt, open the next one at ``retryAt``, and park the task."""
    task = await session.scalar(
        select(Task).where(Task.id == outcome.task.id, Task.run_id == run_id).with_for_update()
    )
    if task is None:
        raise _Fail(RunStatus.FAILURE, {"message": f"Unknown task {outcome.task.id} to retry"})
    last = await session.scalar(
        select(TaskAttempt)
        .where(TaskAttempt.task_id == task.id)
        .order_by(TaskAttempt.number.desc())
        .limit(1)
    )
    if last is not None and last.status is TaskAttemptStatus.PENDING:
        last.status = TaskAttemptStatus.ERRORED
        last.error = format_task_error(outcome.error.model_dump(exclude_none=True))
    session.add(
        TaskAttempt(
            task_id=task.id,
            number=(last.number if last else 0) + 1,
            status=TaskAttemptStatus.PENDING,
            run_at=outcome.retry_at,
        )
    )
    task.status = TaskStatus.WAITING
    await session.flush()
    await queue_task_resume(session, run_id, task.id, at=outcome.retry_at)


async def _record_auto_yield(
    session: AsyncSession,
    run: Run,
    location: str,
    time_remaining: float,
    time_elapsed: float,
    limit: float | None,
) -> None:
    session.add(
        RunAutoYieldExecution(
            run_id=run.id,
            location=location,
            time_remaining=int(time_remaining),
            time_elapsed=int(time_elapsed),
            limit=int(limit or 0),
        )
    )
