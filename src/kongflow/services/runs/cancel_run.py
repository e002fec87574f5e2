"""CancelRun: stop a run that has not finished, and the tasks it has open.

An execution already in flight is not interrupted: the SDK learns of the
cancellation from its next task call. A finished run is left as it is.
"""

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run, Task
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.domain.states import can_transition

OPEN_TASK_STATUSES = (TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.WAITING)


async def cancel_run(session: AsyncSession, run: Run) -> bool:
    """Cancel ``run``; False when it had already finished."""
    if not can_transition(run.status, RunStatus.CANCELED):
        return False
    now = datetime.now(UTC)
    run.status = RunStatus.CANCELED
    run.completed_at = now
    await session.execute(
        update(Task)
        .where(Task.run_id == run.id, Task.status.in_(OPEN_TASK_STATUSES))
        .values(status=TaskStatus.CANCELED, completed_at=now)
    )
    await session.flush()
    return True
