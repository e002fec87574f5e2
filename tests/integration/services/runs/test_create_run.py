"""Creating a run: QUEUED with its first execution queued when its version uses no
integrations, and through connection resolution when it does."""

from typing import Any

from sqlalchemy import select, text, update

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Endpoint, JobVersion, MissingConnection, Run, RunConnection
from kongflow.db.session import Database
from kongflow.domain.enums import JobVersionStatus, RunStatus
from kongflow.services.runs.create_run import find_active_target
from kongflow.services.runs.queue_execution import execution_key
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import bootstrap


def _integration(slug: str, source: str) -> dict[str, Any]:
    return {"id": slug, "metadata": {"id": slug, "name": slug.title()}, "authSource": source}


async def _create(db: Database, endpoint: Endpoint, **integrations: dict[str, Any]) -> Run:
    """Register a job using ``integrations`` and create a run of it for a new event."""
    return await make_run(db, endpoint, "sync", status=None, integrations=integrations)


async def _queued_executions(db: Database, run_id: str) -> int:
    async with db.transaction() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = :key"),
            {"key": execution_key(run_id)},
        )
    return int(count or 0)


async def test_a_run_without_integrations_is_queued_with_its_first_execution(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    run = await _create(db, endpoint)
    assert run.status is RunStatus.QUEUED and run.queued_at is not None
    assert run.number is None  # numbered when its first execution starts
    assert await _queued_executions(db, run.id) == 1


async def test_a_run_whose_hosted_integration_has_no_connection_waits_for_one(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    run = await _create(db, endpoint, gh=_integration("github", "HOSTED"))
    assert run.status is RunStatus.WAITING_ON_CONNECTIONS and run.queued_at is None
    assert await _queued_executions(db, run.id) == 0
    async with db.transaction() as session:
        missing = (await session.scalars(select(MissingConnection))).all()
    assert [row.account_identifier for row in missing] == ["DEVELOPER"]


async def test_a_run_with_a_local_integration_records_its_connection_and_is_queued(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    run = await _create(db, endpoint, slack=_integration("slack", "LOCAL"))
    assert run.status is RunStatus.QUEUED and run.queued_at is not None
    async with db.transaction() as session:
        connections = (
            await session.scalars(select(RunConnection).where(RunConnection.run_id == run.id))
        ).all()
    assert [connection.key for connection in connections] == ["slack"]
    assert await _queued_executions(db, run.id) == 1


async def test_only_an_active_version_is_a_run_target(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    run = await _create(db, endpoint)
    async with db.transaction() as session:
        target = await find_active_target(session, run.version_id)
        assert target is not None
        assert (target.job_id, target.endpoint_id) == (run.job_id, run.endpoint_id)
        await session.execute(
            update(JobVersion).values(status=JobVersionStatus.DISABLED)  # the one version
        )
        assert await find_active_target(session, run.version_id) is None
