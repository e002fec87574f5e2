"""Dynamic schedule registrations (``dynamicSchedule.register``/``unregister``), over
real HTTP against real PostgreSQL, in the shapes of ``client-api/16…18``."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update

from kongflow.db.orm import Endpoint, EventRecord, Job, Run, ScheduleSource
from kongflow.db.session import Database
from kongflow.domain.protocol.index import DynamicScheduleMetadata, JobRef, parse_job
from kongflow.services.endpoints.register_dynamic_trigger import register_dynamic_trigger
from kongflow.services.jobs.register_job import register_job
from kongflow.services.schedules.schedule_ticks import fire_schedule
from kongflow.worker.names import DELIVER_SCHEDULED
from tests.support.jobs import job_metadata

REGISTRATIONS = "/api/v1/my-app/schedules/digest/registrations"


@pytest.fixture
async def digest(db: Database, endpoint: Endpoint) -> Endpoint:
    """The endpoint declares dynamic schedule ``digest``, which starts job ``user-digest``;
    it also has a cron job of its own, ``nightly``."""
    async with db.transaction() as session:
        dynamic = job_metadata("user-digest", trigger={"type": "dynamic", "id": "digest"})
        await register_job(session, endpoint, parse_job(dynamic))
        cron = {"type": "cron", "options": {"cron": "0 3 * * *"}}
        nightly = job_metadata("nightly", trigger={"type": "scheduled", "schedule": cron})
        await register_job(session, endpoint, parse_job(nightly))
        declared = DynamicScheduleMetadata(
            id="digest", jobs=[JobRef(id="user-digest", version="1.0.0")]
        )
        await register_dynamic_trigger(session, endpoint, declared)
    return endpoint


async def _sources(db: Database) -> dict[str, ScheduleSource]:
    async with db.transaction() as session:
        return {s.key: s for s in await session.scalars(select(ScheduleSource))}


async def _ticks(db: Database) -> list[str]:
    async with db.transaction() as session:
        rows = await session.execute(
            text("SELECT queueing_lock FROM procrastinate_jobs WHERE task_name = :t"),
            {"t": DELIVER_SCHEDULED},
        )
        return sorted(lock for (lock,) in rows)


async def test_register_fire_and_unregister(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], digest: Endpoint
) -> None:
    interval = {
        "id": "user-9",
        "type": "interval",
        "options": {"seconds": 120},
        "metadata": {"plan": "pro"},
        "accountId": "acct_1",
    }
    registered = await http.post(REGISTRATIONS, json=interval, headers=dev)
    assert registered.status_code == 200, registered.text
    assert registered.json() == {
        "id": "user-9",
        "schedule": {
            "type": "interval",
            "options": {"seconds": 120},
            "accountId": "acct_1",
            "metadata": {"plan": "pro"},
        },
        "metadata": {"plan": "pro"},
        "active": True,
    }
    cron = {"id": "user 10/x", "type": "cron", "options": {"cron": "0 9 * * 1"}}
    second = await http.post(REGISTRATIONS, json=cron, headers=dev)
    assert second.json() == {
        "id": "user 10/x",
        "schedule": {"type": "cron", "options": {"cron": "0 9 * * 1"}},
        "active": True,
    }
    sources = await _sources(db)
    assert sources["user-9"].active and sources["user-9"].dynamic_trigger_id is not None
    assert sources["user 10/x"].schedule == {"type": "cron", "options": {"cron": "0 9 * * 1"}}
    assert len(await _ticks(db)) == 3  # the two registrations and the nightly job

    # A due tick runs the schedule's job, with the registration as the run's source.
    async with db.transaction() as session:
        due = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(
            update(ScheduleSource)
            .where(ScheduleSource.key == "user-9")
            .values(next_event_timestamp=due)
        )
    async with db.transaction() as session:
        assert await fire_schedule(session, sources["user-9"].id)
    async with db.transaction() as session:
        [run] = list(await session.scalars(select(Run)))
        job = await session.get_one(Job, run.job_id)
        event = await session.get_one(EventRecord, run.event_id)
    assert job.slug == "user-digest"
    assert event.source_context == {"id": "user-9", "metadata": {"plan": "pro"}}
    assert event.external_account_id is not None

    gone = await http.delete(f"{REGISTRATIONS}/user%2010%2Fx", headers=dev)
    assert gone.status_code == 200 and gone.json() == {"ok": True}
    assert not (await _sources(db))["user 10/x"].active
    assert f"scheduled:{sources['user 10/x'].id}" not in await _ticks(db)
    again = await http.delete(f"{REGISTRATIONS}/never-registered", headers=dev)
    assert again.json() == {"ok": True}


async def test_a_job_schedules_key_is_not_taken_over(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], digest: Endpoint
) -> None:
    async with db.transaction() as session:
        nightly_key = await session.scalar(select(Job.id).where(Job.slug == "nightly"))
    body = {"id": nightly_key, "type": "interval", "options": {"seconds": 60}}
    taken = await http.post(REGISTRATIONS, json=body, headers=dev)
    assert taken.status_code == 422 and taken.json()["code"] == "schedule_key_in_use"
    assert (await _sources(db))[nightly_key].schedule["type"] == "cron"
    stopped = await http.delete(f"{REGISTRATIONS}/{nightly_key}", headers=dev)
    assert stopped.json() == {"ok": True}
    assert (await _sources(db))[nightly_key].active  # only registrations are unregistered


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/nope/schedules/digest/registrations", "endpoint_not_found"),
        ("/api/v1/my-app/schedules/nope/registrations", "dynamic_schedule_not_found"),
    ],
)
async def test_unknown_endpoints_and_schedules_are_404(
    http: httpx.AsyncClient, dev: dict[str, str], digest: Endpoint, path: str, code: str
) -> None:
    body = {"id": "k", "type": "interval", "options": {"seconds": 60}}
    created = await http.post(path, json=body, headers=dev)
    assert created.status_code == 404 and created.json()["code"] == code
    deleted = await http.delete(f"{path}/k", headers=dev)
    assert deleted.status_code == 404 and deleted.json()["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        {"type": "interval", "options": {"seconds": 60}},  # no id
        {"id": "k", "type": "weekly", "options": {}},
        {"id": "k", "type": "cron", "options": {"cron": "every monday"}},
        {"id": "k", "type": "interval", "options": {"seconds": 30}},
        {"id": "", "type": "interval", "options": {"seconds": 60}},
    ],
)
async def test_malformed_registrations_are_422(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], digest: Endpoint, body: Any
) -> None:
    response = await http.post(REGISTRATIONS, json=body, headers=dev)
    assert response.status_code == 422, response.text
    assert set(await _sources(db)) == {(await _nightly_key(db))}


async def _nightly_key(db: Database) -> str:
    async with db.transaction() as session:
        return str(await session.scalar(select(Job.id).where(Job.slug == "nightly")))


async def test_nul_characters_anywhere_are_refused_not_crashed(
    http: httpx.AsyncClient, dev: dict[str, str], digest: Endpoint
) -> None:
    body = {"id": "k", "type": "interval", "options": {"seconds": 60}}
    for path in (
        "/api/v1/my%00app/schedules/digest/registrations",
        "/api/v1/my-app/schedules/dig%00est/registrations",
    ):
        assert (await http.post(path, json=body, headers=dev)).status_code == 404
    for bad in ({**body, "id": "k\u0000"}, {**body, "metadata": {"note": "\u0000"}}):
        assert (await http.post(REGISTRATIONS, json=bad, headers=dev)).status_code == 422
    assert (await http.delete(f"{REGISTRATIONS}/k%00", headers=dev)).status_code == 200
