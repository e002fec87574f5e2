"""ResumeTask: a task the run waited for is due (a finished wait, a retry, a callback).

The task moves on (a noop wait completes; a task to retry runs again) and, unless it
is one of several parallel children still waiting for siblings, the run becomes
ready to execute. The caller, a worker job holding the run's lock, then executes it
right away instead of queueing another job (one hop less than v2).
"""

from datetime import UTC, datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run, Task
from kongflow.domain.enums import RunStatus, TaskChildExecutionMode, TaskStatus
from kongflow.domain.states import check_run_transition

SETTLED = (TaskStatus.COMPLETED, TaskStatus.ERRORED, TaskStatus.CANCELED)


async def resume_task(session: AsyncSession, task_id: str) -> str | None:
    """Advance task ``task_id``; the id of its run if the run should execute now."""
    task = await session.scalar(select(Task).where(Task.id == task_id).with_for_update())
    if task is None:
        return None
    run = await session.scalar(select(Run).where(Run.id == task.run_id).with_for_update())
    if run is None:
        return None
    if task.status not in SETTLED:
        if task.noop:
            task.status = TaskStatus.COMPLETED
            task.completed_at = datetime.now(UTC)
        else:
            task.status = TaskStatus.RUNNING
    if task.parent_id is not None and await _siblings_pending(session, task):
        await session.flush()
        return None
    if run.status is RunStatus.WAITING_TO_CONTINUE:
        check_run_transition(run.status, RunStatus.WAITING_TO_EXECUTE)
        run.status = RunStatus.WAITING_TO_EXECUTE
    await session.flush()
    return run.id if run.status is RunStatus.WAITING_TO_EXECUTE else None


async def _siblings_pending(session: AsyncSession, task: Task) -> bool:
    """True when ``task``'s parent runs its children in parallel and one is not done."""
    parent_mode = await session.scalar(
        select(Task.child_execution_mode).where(Task.id == task.parent_id)
    )
    if parent_mode is not TaskChildExecutionMode.PARALLEL:
        return False
    pending = await session.scalar(
        select(
            exists().where(
                Task.parent_id == task.parent_id, Task.id != task.id, Task.status.not_in(SETTLED)
            )
        )
    )
    return bool(pending)
