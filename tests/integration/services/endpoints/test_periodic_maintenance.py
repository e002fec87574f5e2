"""The periodic re-index of deployed endpoints and the purge of old index records."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from kongflow.crypto import InstanceKey
from kongflow.db.orm import EndpointIndex
from kongflow.db.session import Database
from kongflow.domain.enums import EndpointIndexSource
from kongflow.services.endpoints.create_endpoint import queue_endpoint_index
from kongflow.services.endpoints.purge_endpoint_indexes import purge_endpoint_indexes
from kongflow.services.endpoints.reindex_deployed_endpoints import reindex_deployed_endpoints
from kongflow.worker.names import INDEX_ENDPOINT
from tests.support.jobs import make_endpoint
from tests.support.tenancy import bootstrap


async def test_only_deployed_endpoints_not_indexed_lately_are_queued(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    await make_endpoint(db, "dev", slug="dev-app")
    staging = await make_endpoint(db, "staging", slug="staging-app")
    prod = await make_endpoint(db, "prod", slug="prod-app")
    async with db.transaction() as session:
        await queue_endpoint_index(session, prod, source=EndpointIndexSource.MANUAL, defer=False)

    now = datetime.now(UTC)
    async with db.transaction() as session:
        assert await reindex_deployed_endpoints(session, now=now) == 1
    async with db.transaction() as session:
        queued = (
            await session.scalars(
                select(EndpointIndex).where(EndpointIndex.source == EndpointIndexSource.INTERNAL)
            )
        ).all()
        jobs = (
            (
                await session.execute(
                    text(
                        "SELECT args->>'endpoint_index_id' FROM procrastinate_jobs "
                        "WHERE task_name = :t"
                    ),
                    {"t": INDEX_ENDPOINT},
                )
            )
            .scalars()
            .all()
        )
    assert [index.endpoint_id for index in queued] == [staging.id]
    assert jobs == [queued[0].id]

    async with db.transaction() as session:  # nothing is due again within ten minutes
        assert await reindex_deployed_endpoints(session, now=now + timedelta(minutes=5)) == 0
    async with db.transaction() as session:  # but both are after that
        assert await reindex_deployed_endpoints(session, now=now + timedelta(minutes=11)) == 2


async def test_purge_removes_only_records_older_than_a_week(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db, "prod")
    async with db.transaction() as session:
        old = await queue_endpoint_index(
            session, endpoint, source=EndpointIndexSource.MANUAL, defer=False
        )
        fresh = await queue_endpoint_index(
            session, endpoint, source=EndpointIndexSource.MANUAL, defer=False
        )
        await session.execute(
            update(EndpointIndex)
            .where(EndpointIndex.id == old.id)
            .values(created_at=datetime.now(UTC) - timedelta(days=8))
        )
    async with db.transaction() as session:
        assert await purge_endpoint_indexes(session, now=datetime.now(UTC)) == 1
    async with db.transaction() as session:
        left = (await session.scalars(select(EndpointIndex.id))).all()
    assert left == [fresh.id]
