"""A job deferred inside a transaction lives and dies with that transaction."""

from typing import Any

import procrastinate
import pytest
from sqlalchemy import text

from kongflow.db.session import Database
from kongflow.resources import Resources
from kongflow.worker.app import connected_app, resources_of, run_worker
from kongflow.worker.defer import defer_job

pytestmark = pytest.mark.asyncio


class _Rollback(Exception):
    pass


async def _job_count(db: Database) -> int:
    async with db.transaction() as session:
        return int(
            (await session.execute(text("SELECT count(*) FROM procrastinate_jobs"))).scalar_one()
        )


async def test_rolled_back_transaction_leaves_no_job(db: Database) -> None:
    with pytest.raises(_Rollback):
        async with db.transaction() as session:
            await defer_job(session, "anything", {"x": 1})
            raise _Rollback
    assert await _job_count(db) == 0


async def test_committed_job_is_run_by_the_worker(
    db: Database, database_url: str, resources: Resources
) -> None:
    seen: list[Any] = []
    worker_app = connected_app(database_url, max_connections=2)

    @worker_app.task(name="tests.record", pass_context=True)
    async def record(context: procrastinate.JobContext, value: int) -> None:
        async with resources_of(context).database.transaction() as session:
            answer = (await session.execute(text("SELECT :v * 2"), {"v": value})).scalar_one()
        seen.append(answer)

    async with db.transaction() as session:
        job_id = await defer_job(session, "tests.record", {"value": 21})
    assert job_id > 0

    async with worker_app.open_async():
        await run_worker(
            worker_app, resources, concurrency=1, wait=False, install_signal_handlers=False
        )
    assert seen == [42]
    async with db.transaction() as session:
        status = await session.scalar(
            text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        )
    assert status == "succeeded"
