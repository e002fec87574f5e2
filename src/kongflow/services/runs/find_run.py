"""Look up a run of the caller's environment by id.

Every route that names a run goes through here, so a run of another environment is
"not found" everywhere (v2 skipped this check on statuses, logs and tasks).
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound


def run_not_found(run_id: str) -> NotFound:
    """The error of a run id that names no run of the caller's environment."""
    return NotFound(f"No run {run_id!r} in this environment.", code="run_not_found")


async def find_run(session: AsyncSession, scope: EnvironmentScope, run_id: str) -> Run:
    """Run ``run_id`` of ``scope``'s environment, or NotFound (``run_not_found``)."""
    run = None
    if "\x00" not in run_id:  # no id holds one, and PostgreSQL refuses it in a query
        run = await session.scalar(
            select(Run).where(Run.id == run_id, Run.environment_id == scope.id)
        )
    if run is None:
        raise run_not_found(run_id)
    return run
