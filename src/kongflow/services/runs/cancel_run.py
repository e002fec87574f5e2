"""CancelRun: stop a run that has not finished.

An execution already in flight is not interrupted: the SDK learns of the
cancellation from its next task call and ends with CANCELED. A finished run is left
as it is (v2 overwrote even a SUCCESS).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run
from kongflow.domain.enums import RunStatus
from kongflow.domain.states import can_transition
from kongflow.services.runs.finish_run import finish_run


async def cancel_run(session: AsyncSession, run: Run) -> bool:
    """Cancel ``run``; False when it had already finished."""
    if not can_transition(run.status, RunStatus.CANCELED):
        return False
    await finish_run(session, run, RunStatus.CANCELED, run.output)
    await session.flush()
    return True
