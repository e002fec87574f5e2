"""FinishRun on real PostgreSQL: what reaching a final status does besides the run row
(its open tasks closed, its waiting execution and concurrency wait dropped, its end
announced to subscribers), all in the caller's transaction; and the same finish as
one statement at the end of an execution (``finish_execution``)."""

from sqlalchemy import func, select, text

from kongflow.crypto import InstanceKey
from kongflow.db.orm import ExecutionSlot, ExecutionWait, Run, RunSubscription, Task
from kongflow.db.raw import autocommit_connection
from kongflow.db.session import Database
from kongflow.domain.enums import (
    RunStatus,
    RunSubscriptionEvent,
    RunSubscriptionRecipientMethod,
    TaskStatus,
)
from kongflow.services.runs.finish_run import finish_execution, finish_run
from kongflow.worker.names import DELIVER_RUN_SUBSCRIPTIONS, EXECUTE_RUN
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import bootstrap


async def _queued_run(db: Database, instance_key: InstanceKey) -> Run:
    """A QUEUED run (its first execution job waiting) with a task in each of a few
    statuses and a wait for a concurrency place."""
    await bootstrap(db, instance_key)
    run = await make_run(db, await make_endpoint(db, "dev"), status=None)
    async with db.transaction() as session:
        for status in (TaskStatus.RUNNING, TaskStatus.WAITING, TaskStatus.COMPLETED):
            key = status.value.lower()
            session.add(
                Task(run_id=run.id, idempotency_key=key, display_key=key, name=key, status=status)
            )
        session.add(ExecutionWait(run_id=run.id, keys=[f"org:{run.organization_id}"]))
    return run


def _webhook(run: Run, event: RunSubscriptionEvent) -> RunSubscription:
    return RunSubscription(
        run_id=run.id,
        recipient="https://example.com/hook",
        recipient_method=RunSubscriptionRecipientMethod.WEBHOOK,
        event=event,
    )


async def _finish(db: Database, run: Run, status: RunStatus) -> None:
    async with db.transaction() as session:
        await finish_run(session, await session.get_one(Run, run.id), status, {"why": "test"})


async def _jobs(db: Database, task_name: str, run: Run) -> int:
    async with db.transaction() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE task_name = :task AND args->>'run_id' = :run"
            ),
            {"task": task_name, "run": run.id},
        )
    return int(count or 0)


async def _task_statuses(db: Database, run: Run) -> dict[str, TaskStatus]:
    async with db.transaction() as session:
        tasks = await session.scalars(select(Task).where(Task.run_id == run.id))
        return {task.name: task.status for task in tasks}


async def test_cancelling_closes_open_tasks_and_drops_what_waits_for_the_run(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _queued_run(db, instance_key)
    assert await _jobs(db, EXECUTE_RUN, run) == 1

    await _finish(db, run, RunStatus.CANCELED)

    async with db.transaction() as session:
        finished = await session.get_one(Run, run.id)
        waits = await session.scalar(
            select(ExecutionWait.run_id).where(ExecutionWait.run_id == run.id)
        )
    assert (finished.status, finished.output) == (RunStatus.CANCELED, {"why": "test"})
    assert finished.completed_at is not None
    assert await _task_statuses(db, run) == {
        "running": TaskStatus.CANCELED,
        "waiting": TaskStatus.CANCELED,
        "completed": TaskStatus.COMPLETED,
    }
    assert await _jobs(db, EXECUTE_RUN, run) == 0
    assert waits is None
    assert await _jobs(db, DELIVER_RUN_SUBSCRIPTIONS, run) == 0  # nobody subscribed


async def test_a_failure_errors_open_tasks_and_tells_subscribers(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _queued_run(db, instance_key)
    async with db.transaction() as session:
        session.add(_webhook(run, RunSubscriptionEvent.FAILURE))
        queued = await session.get_one(Run, run.id)
        queued.status = RunStatus.EXECUTING

    await _finish(db, run, RunStatus.FAILURE)

    statuses = await _task_statuses(db, run)
    assert statuses["running"] is TaskStatus.ERRORED
    assert statuses["completed"] is TaskStatus.COMPLETED
    assert await _jobs(db, DELIVER_RUN_SUBSCRIPTIONS, run) == 1


async def _executing_with_slot(db: Database, instance_key: InstanceKey) -> Run:
    """A run EXECUTING in a concurrency place of its organization, with open tasks and a
    waiting execution job."""
    run = await _queued_run(db, instance_key)
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM execution_waits"))
        executing = await session.get_one(Run, run.id)
        executing.status = RunStatus.EXECUTING
        executing.execution_count, executing.execution_duration = 2, 100
        session.add(ExecutionSlot(run_id=run.id, keys=[f"org:{run.organization_id}"]))
    return run


async def _finish_execution(db: Database, run: Run) -> list[str] | None:
    async with autocommit_connection(db) as connection:
        return await finish_execution(
            connection, run.id, RunStatus.SUCCESS, {"answer": 42}, elapsed_ms=30
        )


async def test_finishing_an_execution_at_once_does_all_finish_run_does_and_frees_the_place(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_with_slot(db, instance_key)
    other = await make_run(db, await make_endpoint(db, "dev", slug="other"))
    async with db.transaction() as session:  # waiting for the place this run holds
        session.add(ExecutionWait(run_id=other.id, keys=[f"org:{run.organization_id}"]))

    assert await _finish_execution(db, run) == [other.id]

    async with db.transaction() as session:
        finished = await session.get_one(Run, run.id)
        slots = await session.scalar(select(func.count()).select_from(ExecutionSlot))
    assert (finished.status, finished.output) == (RunStatus.SUCCESS, {"answer": 42})
    assert (finished.execution_count, finished.execution_duration) == (3, 130)
    assert finished.completed_at is not None and not finished.force_yield_immediately
    assert await _task_statuses(db, run) == {
        "running": TaskStatus.ERRORED,
        "waiting": TaskStatus.ERRORED,
        "completed": TaskStatus.COMPLETED,
    }
    assert await _jobs(db, EXECUTE_RUN, run) == 0
    assert slots == 0


async def test_finishing_at_once_changes_nothing_for_a_run_no_longer_executing_or_watched(
    db: Database, instance_key: InstanceKey
) -> None:
    run = await _executing_with_slot(db, instance_key)
    async with db.transaction() as session:
        session.add(_webhook(run, RunSubscriptionEvent.SUCCESS))
    assert await _finish_execution(db, run) is None  # the general way tells subscribers

    async with db.transaction() as session:
        await session.execute(text("DELETE FROM run_subscriptions"))
        cancelled = await session.get_one(Run, run.id)
        cancelled.status = RunStatus.CANCELED
    assert await _finish_execution(db, run) is None

    async with db.transaction() as session:
        unchanged = await session.get_one(Run, run.id)
        slots = await session.scalar(select(func.count()).select_from(ExecutionSlot))
    assert (unchanged.status, unchanged.execution_count) == (RunStatus.CANCELED, 2)
    assert (await _task_statuses(db, run))["running"] is TaskStatus.RUNNING
    assert await _jobs(db, EXECUTE_RUN, run) == 1
    assert slots == 1
