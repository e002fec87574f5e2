"""FinishRun: the one way a run reaches a final status.

Success, failure, timeout, cancellation: each sets the status and output, closes
the tasks left open (CANCELED when the run was cancelled or timed out, ERRORED
otherwise), drops any waiting execution or wait for a concurrency place, and queues
the completion notifications, all in the caller's transaction. The caller saves the
run object itself (an ORM session flushes it; the run engine writes its changes).

:func:`finish_execution` is the same finish as one statement that also writes the
run row, for the end of nearly every run: an execution answering SUCCESS.
"""

from datetime import UTC, datetime
from typing import Any

import asyncpg

from kongflow.db.orm import Run
from kongflow.db.raw import Work, driver_connection, jsonb
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.domain.states import check_run_transition
from kongflow.services.runs.queue_execution import execution_key
from kongflow.worker.defer import defer_job
from kongflow.worker.names import DELIVER_RUN_SUBSCRIPTIONS

_OPEN_TASKS = "('PENDING', 'RUNNING', 'WAITING')"


def _clean_up(run_id: str) -> str:
    """The WITH clauses of everything finishing changes besides the run row, for the
    run ``run_id`` (an SQL expression): close its open tasks (as ``$2``, at ``$3``), drop
    its waiting execution job (queueing lock ``$4``) and its wait for a concurrency
    place (an executing run frees its slot when its call ends). A WITH that changes
    rows runs once, to completion, whether or not the query reads it."""
    return f"""
closed_tasks AS (
    UPDATE tasks SET status = $2, completed_at = $3, updated_at = now()
    WHERE run_id = {run_id} AND status IN {_OPEN_TASKS}
), dropped_execution AS (
    DELETE FROM procrastinate_jobs
    WHERE queueing_lock = $4 AND status = 'todo' AND {run_id} IS NOT NULL
), dropped_wait AS (
    DELETE FROM execution_waits WHERE run_id = {run_id}
)"""


_ACTIVE_SUBSCRIPTION = (
    "SELECT 1 FROM run_subscriptions WHERE run_id = $1 AND status = 'ACTIVE' "
    "AND delivered_at IS NULL"
)
# In one round trip: the clean-up, and whether anyone subscribed to the run's end.
_CLEAN_UP = f"WITH {_clean_up('$1')} SELECT EXISTS ({_ACTIVE_SUBSCRIPTION})"

# An execution's end finishing its run, all in one statement: the run row (still
# EXECUTING, with no one to notify), the clean-up, and the release of its concurrency
# place (migration 0004), whose lock is then held only while the server runs it.
_FINISH_EXECUTION = f"""
WITH finished AS (
    UPDATE runs
    SET status = $5, completed_at = $3, output = $6, force_yield_immediately = false,
        execution_count = execution_count + 1,
        execution_duration = execution_duration + $7, updated_at = now()
    WHERE id = $1 AND status = 'EXECUTING' AND NOT EXISTS ({_ACTIVE_SUBSCRIPTION})
    RETURNING id
), {_clean_up("(SELECT id FROM finished)")}
SELECT kongflow_release_execution_slot(id) FROM finished
"""


def _closed_task_status(status: RunStatus) -> TaskStatus:
    """What the open tasks of a run finishing with ``status`` become."""
    if status in (RunStatus.CANCELED, RunStatus.TIMED_OUT):
        return TaskStatus.CANCELED
    return TaskStatus.ERRORED


async def finish_run(work: Work, run: Run, status: RunStatus, output: Any) -> None:
    """Move ``run`` to the final ``status`` with ``output`` (raises if illegal)."""
    check_run_transition(run.status, status)
    now = datetime.now(UTC)
    run.status = status
    run.completed_at = now
    run.output = output
    run.force_yield_immediately = False
    connection = await driver_connection(work)
    subscribed = await connection.fetchval(
        _CLEAN_UP, run.id, _closed_task_status(status).value, now, execution_key(run.id)
    )
    if subscribed:
        await defer_job(
            connection,
            DELIVER_RUN_SUBSCRIPTIONS,
            {"run_id": run.id},
            lock=f"notify:{run.id}",  # one delivery at a time: no subscriber told twice
            queueing_lock=f"notify:{run.id}",
        )


async def finish_execution(
    connection: asyncpg.Connection,
    run_id: str,
    status: RunStatus,
    output: Any,
    *,
    elapsed_ms: int,
) -> list[str] | None:
    """Finish the EXECUTING run ``run_id`` with ``status`` as the execution that took
    ``elapsed_ms`` ends, and free its concurrency place, in one statement (autocommit
    is enough): the common end of a run, as SUCCESS, made as cheap as it can be.

    Returns the runs that the freed place wakes (to queue with
    :func:`~kongflow.services.runs.concurrency.wake`), or None, having changed nothing,
    when the run is no longer EXECUTING or someone subscribed to its end: the caller
    then records the outcome the general way.
    """
    check_run_transition(RunStatus.EXECUTING, status)
    row = await connection.fetchrow(
        _FINISH_EXECUTION,
        run_id,
        _closed_task_status(status).value,
        datetime.now(UTC),
        execution_key(run_id),
        status.value,
        jsonb(output),
        elapsed_ms,
    )
    return None if row is None else list(row[0] or [])
