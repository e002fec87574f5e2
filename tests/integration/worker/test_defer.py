"""A job deferred inside a transaction lives and dies with that transaction."""

from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
import pytest
from sqlalchemy import text

from kongflow.db.session import Database
from kongflow.resources import Resources
from kongflow.worker.app import resources_of, run_worker
from kongflow.worker.defer import cancel_waiting_job, defer_job

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
    db: Database, worker_app: procrastinate.App, resources: Resources
) -> None:
    seen: list[Any] = []

    @worker_app.task(name="tests.record", pass_context=True)
    async def record(context: procrastinate.JobContext, value: int) -> None:
        async with resources_of(context).database.transaction() as session:
            answer = (await session.execute(text("SELECT :v * 2"), {"v": value})).scalar_one()
        seen.append(answer)

    async with db.transaction() as session:
        job_id = await defer_job(session, "tests.record", {"value": 21})
    assert job_id > 0

    await run_worker(
        worker_app, resources, concurrency=1, wait=False, install_signal_handlers=False
    )
    assert seen == [42]
    assert await _job_count(db) == 0  # a succeeded job is not kept


async def _jobs(db: Database) -> list[tuple[str, object]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text("SELECT args->>'n', scheduled_at FROM procrastinate_jobs ORDER BY id")
        )
        return [tuple(row) for row in rows]


async def test_a_job_key_keeps_one_waiting_job(db: Database) -> None:
    async with db.transaction() as session:
        first = await defer_job(session, "t", {"n": "1"}, queueing_lock="key")
        second = await defer_job(session, "t", {"n": "2"}, queueing_lock="key")
    assert first == second
    assert [n for n, _ in await _jobs(db)] == ["1"]


async def test_replace_rewrites_the_waiting_job(db: Database) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    async with db.transaction() as session:
        first = await defer_job(session, "t", {"n": "1"}, queueing_lock="key")
        second = await defer_job(
            session, "t", {"n": "2"}, queueing_lock="key", replace=True, scheduled_at=later
        )
    assert first == second
    [(n, scheduled_at)] = await _jobs(db)
    assert n == "2" and scheduled_at == later


async def test_waiting_job_can_be_cancelled(db: Database) -> None:
    async with db.transaction() as session:
        await defer_job(session, "t", {"n": "1"}, queueing_lock="key")
        await defer_job(session, "t", {"n": "2"}, queueing_lock="other")
        assert await cancel_waiting_job(session, "key") == 1
    assert [n for n, _ in await _jobs(db)] == ["2"]
