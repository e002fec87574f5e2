"""Wait, with a deadline, until a run reaches a final status (for flows with timers)."""

import asyncio
import time

from sqlalchemy import select

from kongflow.db.orm import Run
from kongflow.db.session import Database
from kongflow.domain.states import FINISHED_RUN_STATUSES


async def wait_for_finished_runs(db: Database, count: int, *, within: float = 30.0) -> list[Run]:
    """Poll the runs table until ``count`` runs are finished; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        async with db.transaction() as session:
            runs = list(await session.scalars(select(Run).order_by(Run.created_at)))
        finished = [run for run in runs if run.status in FINISHED_RUN_STATUSES]
        if len(finished) >= count:
            return runs
        if time.monotonic() > deadline:
            states = [(run.id, run.status.value) for run in runs]
            raise AssertionError(f"runs did not finish in {within}s: {states}")
        await asyncio.sleep(0.05)
