"""What each EXECUTE_JOB answer does to a run (platform §5.5), on real PostgreSQL.

The answers are built here rather than sent by an SDK, so that every outcome, the
rare ones included, is checked: the run's status and counters, the task rows, the
follow-up jobs queued, and the endpoint and subscription rows an answer updates.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update

from kongflow.crypto import InstanceKey
from kongflow.db.orm import (
    Endpoint,
    Run,
    RunAutoYieldExecution,
    RunSubscription,
    Task,
    TaskAttempt,
)
from kongflow.db.raw import raw_transaction
from kongflow.db.session import Database
from kongflow.domain.enums import (
    RunStatus,
    RunSubscriptionRecipientMethod,
    TaskAttemptStatus,
    TaskStatus,
)
from kongflow.services.endpoints.endpoint_api import EndpointError, RawAnswer
from kongflow.services.runs.record_execution_outcome import plain_success, record_execution_outcome
from kongflow.worker.names import EXECUTE_RUN, RESUME_TASK
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import bootstrap

ELAPSED_MS = 1500


def _answer(
    body: Any = None, *, status: int = 200, headers: dict[str, str] | None = None, raw: bytes = b""
) -> RawAnswer:
    content = raw or json.dumps(body).encode()
    return RawAnswer(
        status_code=status, headers=headers or {}, content=content, elapsed_ms=ELAPSED_MS
    )


async def _executing_run(db: Database, instance_key: InstanceKey, environment: str = "dev") -> Run:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db, environment)
    return await make_run(db, endpoint, status=RunStatus.EXECUTING)


async def _task(db: Database, run: Run, key: str, status: TaskStatus) -> Task:
    async with db.transaction() as session:
        task = Task(run_id=run.id, idempotency_key=key, display_key=key, name=key, status=status)
        session.add(task)
        await session.flush()
        session.add(TaskAttempt(task_id=task.id, number=1, status=TaskAttemptStatus.PENDING))
    return task


async def _record(db: Database, run: Run, answer: RawAnswer | EndpointError, **options: Any) -> Run:
    async with raw_transaction(db) as connection:
        await record_execution_outcome(
            connection,
            run.id,
            answer,
            task_count_before=options.get("task_count_before", 0),
            endpoint_version=options.get("endpoint_version", "2023-11-01"),
        )
    async with db.transaction() as session:
        return await session.get_one(Run, run.id)


async def _set_status(db: Database, run: Run, status: RunStatus) -> None:
    async with db.transaction() as session:
        await session.execute(update(Run).where(Run.id == run.id).values(status=status))


async def _one(db: Database, model: Any, *where: Any) -> Any:
    async with db.transaction() as session:
        return (await session.scalars(select(model).where(*where))).one()


async def _queued(db: Database, task_name: str) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT args, scheduled_at, priority FROM procrastinate_jobs "
                "WHERE task_name = :name AND status = 'todo' ORDER BY id"
            ),
            {"name": task_name},
        )
        return [dict(row._mapping) for row in rows]


async def test_success_finishes_the_run_with_its_output_and_counts_the_execution(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    left_open = await _task(db, run, "never-completed", TaskStatus.RUNNING)
    done = await _record(db, run, _answer({"status": "SUCCESS", "output": {"total": 3}}))
    assert done.status is RunStatus.SUCCESS and done.output == {"total": 3}
    assert done.completed_at is not None
    assert (done.execution_count, done.execution_duration) == (1, ELAPSED_MS)
    closed = await _one(db, Task, Task.id == left_open.id)
    assert closed.status is TaskStatus.ERRORED


async def test_a_malformed_or_unknown_answer_fails_the_run_with_the_reason(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    failed = await _record(db, run, _answer(raw=b"<html>oops</html>"))
    assert failed.status is RunStatus.FAILURE
    assert failed.output == {"message": "Endpoint responded with invalid JSON"}

    other = await make_run(db, await _one(db, Endpoint), status=RunStatus.EXECUTING)
    failed = await _record(db, other, _answer({"status": "DANCING"}))
    assert failed.status is RunStatus.FAILURE
    assert failed.output["message"].startswith("Endpoint responded with an invalid execution")


async def test_a_4xx_fails_at_once_and_a_5xx_in_development_fails_fast(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    refused = await _record(db, run, _answer({"message": "Nope", "name": "Error"}, status=400))
    assert refused.status is RunStatus.FAILURE
    assert refused.output == {"message": "Nope", "name": "Error"}

    other = await make_run(db, await _one(db, Endpoint), status=RunStatus.EXECUTING)
    broken = await _record(db, other, _answer(raw=b"bad gateway", status=500))
    assert broken.status is RunStatus.FAILURE
    assert broken.output == {"message": "Endpoint responded with 500 status code"}


async def test_outside_development_an_unreachable_endpoint_is_retried_later(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key, "staging")
    before = datetime.now(UTC)
    waiting = await _record(db, run, EndpointError("Could not connect"))
    assert waiting.status is RunStatus.WAITING_TO_EXECUTE
    assert waiting.execution_failure_count == 1
    [job] = await _queued(db, EXECUTE_RUN)
    assert job["args"] == {"run_id": run.id} and job["scheduled_at"] > before


async def test_resume_with_task_parks_the_run_until_the_wait_is_over(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    wait = await _task(db, run, "wait", TaskStatus.WAITING)
    until = datetime.now(UTC) + timedelta(seconds=30)
    properties = [{"label": "Seconds", "text": "30"}]
    answer = {
        "status": "RESUME_WITH_TASK",
        "task": {"id": wait.id, "delayUntil": until.isoformat(), "outputProperties": properties},
    }
    parked = await _record(db, run, _answer(answer))
    assert parked.status is RunStatus.WAITING_TO_CONTINUE
    assert (await _one(db, Task, Task.id == wait.id)).output_properties == properties
    [job] = await _queued(db, RESUME_TASK)
    assert job["args"] == {"task_id": wait.id}
    assert abs((job["scheduled_at"] - until).total_seconds()) < 0.01


async def test_retry_with_task_closes_the_attempt_and_opens_the_next_at_retry_at(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    flaky = await _task(db, run, "flaky", TaskStatus.RUNNING)
    retry_at = datetime.now(UTC) + timedelta(seconds=5)
    answer = {
        "status": "RETRY_WITH_TASK",
        "task": {"id": flaky.id},
        "error": {"message": "boom", "name": "Error"},
        "retryAt": retry_at.isoformat(),
    }
    parked = await _record(db, run, _answer(answer))
    assert parked.status is RunStatus.WAITING_TO_CONTINUE
    assert (await _one(db, Task, Task.id == flaky.id)).status is TaskStatus.WAITING
    async with db.transaction() as session:
        attempts = (
            await session.scalars(
                select(TaskAttempt).where(TaskAttempt.task_id == flaky.id).order_by("number")
            )
        ).all()
    assert [(a.number, a.status, a.error) for a in attempts] == [
        (1, TaskAttemptStatus.ERRORED, "Error: boom"),
        (2, TaskAttemptStatus.PENDING, None),
    ]
    assert attempts[1].run_at == retry_at
    [job] = await _queued(db, RESUME_TASK)
    assert job["args"] == {"task_id": flaky.id}

    other = await make_run(db, await _one(db, Endpoint), status=RunStatus.EXECUTING)
    unknown = {**answer, "task": {"id": "task_unknown"}}
    failed = await _record(db, other, _answer(unknown))
    assert failed.status is RunStatus.FAILURE
    assert failed.output == {"message": "Unknown task task_unknown to retry"}


async def test_an_error_with_a_task_errors_that_task_and_fails_the_run(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    step = await _task(db, run, "step", TaskStatus.RUNNING)
    error = {"message": "It broke", "name": "TypeError", "stack": "TypeError: It broke"}
    failed = await _record(
        db, run, _answer({"status": "ERROR", "error": error, "task": {"id": step.id}})
    )
    assert failed.status is RunStatus.FAILURE and failed.output == error
    errored = await _one(db, Task, Task.id == step.id)
    assert errored.status is TaskStatus.ERRORED and errored.output == error


async def test_yields_queue_the_next_execution_at_once(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    yielded = await _record(db, run, _answer({"status": "YIELD_EXECUTION", "key": "page-1"}))
    assert yielded.status is RunStatus.WAITING_TO_EXECUTE
    assert yielded.yielded_executions == ["page-1"]
    [job] = await _queued(db, EXECUTE_RUN)
    assert job["args"] == {"run_id": run.id} and job["priority"] == 1

    await _set_status(db, run, RunStatus.EXECUTING)  # executing again
    auto = {
        "status": "AUTO_YIELD_EXECUTION",
        "location": "beforeExecuteTask",
        "timeRemaining": 120.5,
        "timeElapsed": 4200,
        "limit": 4000,
    }
    again = await _record(db, run, _answer(auto))
    assert again.status is RunStatus.WAITING_TO_EXECUTE and again.execution_count == 2
    recorded = await _one(db, RunAutoYieldExecution, RunAutoYieldExecution.run_id == run.id)
    assert (recorded.location, recorded.time_remaining, recorded.time_elapsed, recorded.limit) == (
        "beforeExecuteTask",
        120,
        4200,
        4000,
    )


async def test_a_function_timeout_continues_a_run_that_progressed_and_ends_one_that_did_not(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    await _task(db, run, "progress", TaskStatus.COMPLETED)
    timeout = _answer(raw=b"An error occurred with your deployment", status=504)
    continued = await _record(db, run, timeout, task_count_before=0)
    assert continued.status is RunStatus.WAITING_TO_EXECUTE
    endpoint = await _one(db, Endpoint)
    assert endpoint.run_chunk_execution_limit == 10_000  # the smallest chunk allowed

    await _set_status(db, run, RunStatus.EXECUTING)
    stuck = await _record(db, run, timeout, task_count_before=1)
    assert stuck.status is RunStatus.TIMED_OUT
    assert stuck.output == {
        "message": "The endpoint timed out without making progress (no new task)"
    }


async def test_an_answer_updates_the_endpoint_version_and_subscribes_it(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    headers = {
        "trigger-version": "2023-11-01",
        "x-trigger-run-metadata": json.dumps({"successSubscription": True}),
    }
    answer = _answer({"status": "SUCCESS", "output": None}, headers=headers)
    await _record(db, run, answer, endpoint_version="2023-09-29")
    assert (await _one(db, Endpoint)).version == "2023-11-01"
    subscription = await _one(db, RunSubscription, RunSubscription.run_id == run.id)
    assert subscription.recipient == run.endpoint_id
    assert subscription.recipient_method is RunSubscriptionRecipientMethod.ENDPOINT


async def test_a_run_cancelled_during_the_call_is_left_as_it_is(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_run(db, instance_key)
    await _set_status(db, run, RunStatus.CANCELED)
    after = await _record(db, run, _answer({"status": "SUCCESS", "output": 1}))
    assert after.status is RunStatus.CANCELED and after.execution_count == 0


def test_only_a_plain_success_is_finished_in_one_statement() -> None:
    success = {"status": "SUCCESS", "output": {"n": 1}}
    plain = plain_success(_answer(success, headers={"x-trigger-run-metadata": "{}"}), "2023-09-29")
    assert plain is not None and plain.output == {"n": 1}
    notify = {"x-trigger-run-metadata": json.dumps({"successSubscription": True})}
    for answer, version in (
        (_answer(success, headers=notify), "2023-09-29"),  # subscriptions to record
        (_answer(success, headers={"trigger-version": "2023-11-01"}), "2023-09-29"),
        (_answer(success, status=500), "2023-09-29"),
        (_answer({"status": "ERROR", "error": {"message": "no"}}), "2023-09-29"),
        (_answer(raw=b"not json"), "2023-09-29"),
        (EndpointError("unreachable"), "2023-09-29"),
    ):
        assert plain_success(answer, version) is None, answer
