"""Starting an execution (migration 0006's function): lock the run, claim its place,
mark it EXECUTING and number it, or leave everything as it was."""

from datetime import UTC, datetime

from sqlalchemy import func, select, text

from kongflow.crypto import InstanceKey
from kongflow.db.orm import ExecutionSlot, ExecutionWait, Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from kongflow.services.runs.concurrency import STALE_AFTER, release_slot
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import bootstrap

_START = text(
    "SELECT kongflow_start_execution(CAST(:run AS varchar), CAST(:status AS run_status), "
    "CAST(:keys AS varchar[]), CAST(:limits AS integer[]), :stale, :now)"
)
ONE_AT_A_TIME = {"keys": ["org:test"], "limits": [1]}


async def _start(db: Database, run_id: str, status: RunStatus) -> str:
    async with db.transaction() as session:
        started = await session.scalar(
            _START,
            {
                "run": run_id,
                "status": status.value,
                "stale": int(STALE_AFTER.total_seconds()),
                "now": datetime.now(UTC),
                **ONE_AT_A_TIME,
            },
        )
    return str(started)


async def _run(db: Database, run_id: str) -> Run:
    async with db.transaction() as session:
        return await session.get_one(Run, run_id)


async def _count(db: Database, model: type[ExecutionSlot] | type[ExecutionWait]) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_start_claims_marks_and_numbers_and_a_full_limit_makes_the_next_wait(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    first = await make_run(db, endpoint, status=RunStatus.QUEUED)
    second = await make_run(db, endpoint, status=RunStatus.QUEUED)

    assert await _start(db, first.id, RunStatus.QUEUED) == "started"
    started = await _run(db, first.id)
    assert started.status is RunStatus.EXECUTING
    assert started.number == 1 and started.started_at is not None

    assert await _start(db, second.id, RunStatus.QUEUED) == "waiting"
    waiting = await _run(db, second.id)
    assert waiting.status is RunStatus.QUEUED and waiting.number is None
    assert await _count(db, ExecutionWait) == 1

    async with db.transaction() as session:
        assert await release_slot(session, first.id) == [second.id]
    assert await _start(db, second.id, RunStatus.QUEUED) == "started"
    assert (await _run(db, second.id)).number == 2


async def test_a_run_no_longer_in_the_status_read_is_left_as_it_is(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    cancelled = await make_run(db, endpoint, status=RunStatus.CANCELED)

    assert await _start(db, cancelled.id, RunStatus.QUEUED) == "moved"
    after = await _run(db, cancelled.id)
    assert after.status is RunStatus.CANCELED and after.number is None
    assert await _count(db, ExecutionSlot) == 0
    assert await _count(db, ExecutionWait) == 0
