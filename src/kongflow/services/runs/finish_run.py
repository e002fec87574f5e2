"""FinishRun: the one way a run reaches a final status.

Success, failure, timeout, cancellation: each sets the status and output, closes
the tasks left open (CANCELED when the run was cancelled or timed out, ERRORED
otherwise), drops any waiting execution or wait for a concurrency place, and queues
the completion notifications, all in the caller's transaction. The caller saves the
run object itself (an ORM session flushes it; the run engine writes its changes).
"""

from datetime import UTC, datetime
from typing import Any

from kongflow.db.orm import Run
from kongflow.db.raw import Work, driver_connection
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.domain.states import check_run_transition
from kongflow.services.runs.queue_execution import execution_key
from kongflow.worker.defer import defer_job
from kongflow.worker.names import DELIVER_RUN_SUBSCRIPTIONS

# Everything finishing changes besides the run row, in one round trip: close the
# run's open tasks, drop its waiting execution job (keyed ``execution_key``) and its
# wait for a concurrency place (an executing run frees its slot when its call ends),
# and tell whether anyone subscribed to its end. (A WITH that changes rows runs once,
# to completion, whether or not the query reads it.)
_CLEAN_UP = """
WITH closed_tasks AS (
    UPDATE tasks SET status = $2, completed_at = $3, updated_at = now()
    WHERE run_id = $1 AND status IN ('PENDING', 'RUNNING', 'WAITING')
), dropped_execution AS (
    DELETE FROM procrastinate_jobs WHERE queueing_lock = $4 AND status = 'todo'
), dropped_wait AS (
    DELETE FROM execution_waits WHERE run_id = $1
)
SELECT EXISTS (
    SELECT 1 FROM run_subscriptions
    WHERE run_id = $1 AND status = 'ACTIVE' AND delivered_at IS NULL
)
"""


async def finish_run(work: Work, run: Run, status: RunStatus, output: Any) -> None:
    """Move ``run`` to the final ``status`` with ``output`` (raises if illegal)."""
    check_run_transition(run.status, status)
    now = datetime.now(UTC)
    run.status = status
    run.completed_at = now
    run.output = output
    run.force_yield_immediately = False
    closed = (
        TaskStatus.CANCELED
        if status in (RunStatus.CANCELED, RunStatus.TIMED_OUT)
        else TaskStatus.ERRORED
    )
    connection = await driver_connection(work)
    subscribed = await connection.fetchval(
        _CLEAN_UP, run.id, closed.value, now, execution_key(run.id)
    )
    if subscribed:
        await defer_job(
            connection,
            DELIVER_RUN_SUBSCRIPTIONS,
            {"run_id": run.id},
            lock=f"notify:{run.id}",  # one delivery at a time: no subscriber told twice
            queueing_lock=f"notify:{run.id}",
        )
