"""Concurrency limits on executions: a full limit makes a run wait, a release wakes it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from kongflow.crypto import InstanceKey
from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    ExecutionSlot,
    ExecutionWait,
    Organization,
)
from kongflow.db.session import Database
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_job import register_job
from kongflow.services.runs.concurrency import STALE_AFTER, Limit, release_slot
from kongflow.services.runs.run_context import read_run_context
from tests.support.jobs import job_metadata, make_endpoint
from tests.support.runs import make_run, queued_executions
from tests.support.tenancy import bootstrap


async def _runs(db: Database, key: InstanceKey, count: int) -> list[str]:
    await bootstrap(db, key)
    endpoint = await make_endpoint(db)
    return [(await make_run(db, endpoint, f"job-{n}")).id for n in range(count)]


async def _waiting(db: Database) -> list[str]:
    async with db.transaction() as session:
        return list(await session.scalars(select(ExecutionWait.run_id)))


async def claim_slot(db: Database, run_id: str, limits: list[Limit]) -> bool:
    """The claim, as the start of an execution makes it (migration 0004's function)."""
    async with db.transaction() as session:
        claimed = await session.scalar(
            text(
                "SELECT kongflow_claim_execution_slot(CAST(:run AS varchar), "
                "CAST(:keys AS varchar[]), CAST(:limits AS integer[]), :stale)"
            ),
            {
                "run": run_id,
                "keys": [limit.key for limit in limits],
                "limits": [limit.limit for limit in limits],
                "stale": int(STALE_AFTER.total_seconds()),
            },
        )
    return bool(claimed)


async def _release(db: Database, run_id: str) -> list[str]:
    async with db.transaction() as session:
        return await release_slot(session, run_id)


async def test_a_full_limit_makes_runs_wait_and_a_release_wakes_the_oldest(
    db: Database, instance_key: InstanceKey
) -> None:
    first, second, third = await _runs(db, instance_key, 3)
    limits = [Limit("group:g", 1)]
    async with db.transaction() as session:  # the runs' own first executions
        await session.execute(text("DELETE FROM procrastinate_jobs"))

    assert await claim_slot(db, first, limits)
    assert await claim_slot(db, first, limits)  # claiming again is harmless
    assert not await claim_slot(db, second, limits)
    assert not await claim_slot(db, third, limits)
    assert sorted(await _waiting(db)) == sorted([second, third])

    assert await _release(db, first) == [second]  # the oldest waiter
    assert await _waiting(db) == [third]
    assert await queued_executions(db) == [second]
    assert await claim_slot(db, second, limits)
    assert not await claim_slot(db, third, limits)
    assert await _release(db, first) == []  # nothing left to release


async def test_every_limit_must_have_room(db: Database, instance_key: InstanceKey) -> None:
    first, second = await _runs(db, instance_key, 2)
    assert await claim_slot(db, first, [Limit("group:a", 5), Limit("version:v", 1)])
    assert not await claim_slot(db, second, [Limit("group:a", 5), Limit("version:v", 1)])
    assert await claim_slot(db, second, [Limit("group:a", 5), Limit("version:w", 1)])


async def test_a_dead_executions_slot_stops_counting(
    db: Database, instance_key: InstanceKey
) -> None:
    first, second = await _runs(db, instance_key, 2)
    assert await claim_slot(db, first, [Limit("org:x", 1)])
    async with db.transaction() as session:
        await session.execute(
            update(ExecutionSlot).values(acquired_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert await claim_slot(db, second, [Limit("org:x", 1)])


async def test_limits_come_from_the_organization_version_and_group(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    run = await make_run(db, endpoint)
    async with db.transaction() as session:  # the run's version now counts against a group
        await register_job(
            session,
            endpoint,
            parse_job(job_metadata(concurrencyLimit={"id": "shared", "limit": 3})),
        )
        await session.execute(update(Organization).values(maximum_concurrency_limit=7))
    async with db.transaction() as session:
        group = (await session.scalars(select(ConcurrencyLimitGroup))).one()
    async with db.transaction() as session:
        context = await read_run_context(session, run.id)
    assert context is not None
    assert context.limits() == [
        Limit(f"group:{group.id}", 3),
        Limit(f"org:{run.organization_id}", 7),
    ]
