"""Schedules fire through one delayed job per schedule, and a tick makes one run."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Endpoint, EventRecord, Run, ScheduleSource
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_job import register_job
from kongflow.services.schedules.schedule_ticks import fire_schedule, tick_key
from tests.support.jobs import CRON_TRIGGER, INTERVAL_TRIGGER, job_metadata, make_endpoint
from tests.support.tenancy import bootstrap


async def _setup(db: Database, key: InstanceKey, trigger: dict[str, Any]) -> Endpoint:
    await bootstrap(db, key)
    endpoint = await make_endpoint(db)
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(trigger=trigger)))
    return endpoint


async def _tick_jobs(db: Database) -> list[tuple[str, datetime]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT queueing_lock, scheduled_at FROM procrastinate_jobs "
                "WHERE task_name = 'deliver_scheduled' AND status = 'todo'"
            )
        )
        return [(lock, at) for lock, at in rows]


async def test_registering_a_schedule_queues_its_next_tick(
    db: Database, instance_key: InstanceKey
) -> None:
    await _setup(db, instance_key, CRON_TRIGGER)
    async with db.transaction() as session:
        source = (await session.scalars(select(ScheduleSource))).one()
    assert await _tick_jobs(db) == [(tick_key(source.id), source.next_event_timestamp)]


async def test_a_due_tick_makes_one_run_and_queues_the_next(
    db: Database, instance_key: InstanceKey
) -> None:
    await _setup(db, instance_key, INTERVAL_TRIGGER)
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    async with db.transaction() as session:
        source = (await session.scalars(select(ScheduleSource))).one()
        await session.execute(
            update(ScheduleSource).values(next_event_timestamp=due, last_event_timestamp=None)
        )
    async with db.transaction() as session:
        assert await fire_schedule(session, source.id)
    async with db.transaction() as session:
        event = (await session.scalars(select(EventRecord))).one()
        run = (await session.scalars(select(Run))).one()
        after = await session.get_one(ScheduleSource, source.id)
    assert event.name == "dev.trigger.scheduled"
    assert event.payload == {"ts": due.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    assert event.source_context == {"id": source.key, "metadata": None}
    assert run.event_id == event.id and run.status is RunStatus.QUEUED
    assert after.last_event_timestamp == due
    assert after.next_event_timestamp == due + timedelta(seconds=300)
    assert await _tick_jobs(db) == [(tick_key(source.id), after.next_event_timestamp)]

    async with db.transaction() as session:  # the next tick is not due yet
        assert not await fire_schedule(session, source.id)
    async with db.transaction() as session:  # the same tick delivered twice: one run
        await session.execute(
            update(ScheduleSource).values(next_event_timestamp=due, last_event_timestamp=None)
        )
    async with db.transaction() as session:
        assert await fire_schedule(session, source.id)
    async with db.transaction() as session:
        assert len((await session.scalars(select(Run))).all()) == 1


async def test_a_job_no_longer_scheduled_has_no_tick_waiting(
    db: Database, instance_key: InstanceKey
) -> None:
    endpoint = await _setup(db, instance_key, CRON_TRIGGER)
    assert len(await _tick_jobs(db)) == 1
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata()))  # now an event trigger
    assert await _tick_jobs(db) == []
    async with db.transaction() as session:
        source = (await session.scalars(select(ScheduleSource))).one()
        assert not await fire_schedule(session, source.id)
