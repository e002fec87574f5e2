"""Events become runs that a worker executes against the endpoint (a scripted one here;
the official SDK drives the same path in tests/compat)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import EventRecord, Job, Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from tests.support.fake_endpoint import FakeEndpoint, fake_endpoint
from tests.support.jobs import job_metadata
from tests.support.tenancy import EnvironmentKeys

Drain = Callable[[], Awaitable[None]]


@pytest.fixture
async def endpoint(
    environments: dict[str, EnvironmentKeys],
    http: httpx.AsyncClient,
    dev: dict[str, str],
    drain_queue: Drain,
) -> AsyncIterator[FakeEndpoint]:
    async with fake_endpoint("my-app", environments["dev"].api_key) as fake:
        fake.index_jobs(
            [
                job_metadata("paid-orders"),
                job_metadata(
                    "all-orders",
                    trigger={
                        "type": "static",
                        "title": "order.created",
                        "rule": {"event": "order.created", "source": "trigger.dev"},
                    },
                ),
            ]
        )
        fake.answer("EXECUTE_JOB", json_body={"status": "SUCCESS", "output": {"done": True}})
        created = await http.post(
            "/api/v1/endpoints", json={"id": "my-app", "url": fake.url}, headers=dev
        )
        assert created.status_code == 200, created.text
        await drain_queue()
        fake.requests.clear()
        yield fake


async def _runs(db: Database) -> list[Run]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Run).order_by(Run.created_at)))


async def test_an_event_runs_the_matching_jobs_to_success(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
) -> None:
    sent = await http.post(
        "/api/v1/events",
        json={"event": {"name": "order.created", "payload": {"status": "paid"}}, "options": {}},
        headers=dev,
    )
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["name"] == "order.created" and body["payload"] == {"status": "paid"}
    assert body["deliveredAt"] is not None

    runs = await _runs(db)
    assert len(runs) == 2 and {run.status for run in runs} == {RunStatus.QUEUED}
    assert [run.number for run in runs] == [None, None]  # numbered when they start

    await drain_queue()
    runs = await _runs(db)
    assert sorted(run.number or 0 for run in runs) == [1, 1]  # one run of each job
    assert {run.status for run in runs} == {RunStatus.SUCCESS}
    assert all(run.output == {"done": True} and run.execution_count == 1 for run in runs)

    executions = [r for r in endpoint.requests if r["action"] == "EXECUTE_JOB"]
    assert len(executions) == 2
    event = await http.get(f"/api/v2/events/{body['id']}", headers=dev)
    assert event.status_code == 200
    assert [run["status"] for run in event.json()["runs"]] == ["SUCCESS", "SUCCESS"]


async def test_filters_pick_the_jobs(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint, db: Database
) -> None:
    await http.post(
        "/api/v1/events",
        json={"event": {"name": "order.created", "payload": {"status": "refunded"}}},
        headers=dev,
    )
    [run] = await _runs(db)
    async with db.transaction() as session:
        job_slug = await session.scalar(select(Job.slug).where(Job.id == run.job_id))
    assert job_slug == "all-orders"  # paid-orders filters on status "paid"
    await http.post(
        "/api/v1/events", json={"event": {"name": "something.else", "payload": {}}}, headers=dev
    )
    assert len(await _runs(db)) == 1


async def test_same_event_id_is_delivered_once(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint, db: Database
) -> None:
    event = {"event": {"id": "evt-1", "name": "order.created", "payload": {"status": "paid"}}}
    first = await http.post("/api/v1/events", json=event, headers=dev)
    second = await http.post("/api/v1/events", json=event, headers=dev)
    assert first.json() == second.json()
    assert len(await _runs(db)) == 2


async def test_delayed_event_is_delivered_by_its_job_and_can_be_cancelled(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint, db: Database
) -> None:
    later: dict[str, Any] = {
        "event": {"id": "later", "name": "order.created", "payload": {"status": "paid"}},
        "options": {"deliverAfter": 3600},
    }
    sent = (await http.post("/api/v1/events", json=later, headers=dev)).json()
    assert sent["deliveredAt"] is None and sent["deliverAt"] > sent["timestamp"]
    assert await _runs(db) == []
    cancelled = await http.post("/api/v1/events/later/cancel", headers=dev)
    assert cancelled.status_code == 200 and cancelled.json()["cancelledAt"] is not None
    async with db.transaction() as session:
        record = await session.scalar(select(EventRecord).where(EventRecord.event_id == "later"))
    assert record is not None and record.cancelled_at is not None


async def test_bad_event_bodies(http: httpx.AsyncClient, dev: dict[str, str]) -> None:
    for body in (
        {},
        {"event": {}},
        {"event": {"name": ""}},
        {"event": {"name": "x"}, "options": {"deliverAfter": -1}},
    ):
        response = await http.post("/api/v1/events", json=body, headers=dev)
        assert response.status_code == 422, body
    missing = await http.get("/api/v2/events/nope", headers=dev)
    assert missing.status_code == 404 and missing.json()["code"] == "event_not_found"


# Sending runs on a plain connection. An id sent before and a job using integrations
# are redone in an ORM session; an account stays on the plain connection.


async def _events_named(db: Database, event_id: str) -> list[EventRecord]:
    async with db.transaction() as session:
        return list(
            await session.scalars(select(EventRecord).where(EventRecord.event_id == event_id))
        )


async def test_a_bulk_holding_an_id_sent_before_stores_each_event_once(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint, db: Database
) -> None:
    paid = {"name": "order.created", "payload": {"status": "paid"}}
    first = await http.post("/api/v1/events", json={"event": {"id": "a", **paid}}, headers=dev)
    bulk = await http.post(
        "/api/v1/events/bulk",
        json={"events": [{"id": "b", **paid}, {"id": "a", **paid}]},
        headers=dev,
    )
    assert bulk.status_code == 200, bulk.text
    assert [event["id"] for event in bulk.json()] == ["b", "a"]
    assert bulk.json()[1] == first.json()
    assert len(await _events_named(db, "a")) == len(await _events_named(db, "b")) == 1
    assert len(await _runs(db)) == 4  # both jobs, once for each event


async def test_an_account_id_is_recorded_once_and_carried_by_events_and_runs(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint, db: Database
) -> None:
    for event_id in ("with-account-1", "with-account-2"):
        sent = await http.post(
            "/api/v1/events",
            json={
                "event": {"id": event_id, "name": "order.created", "payload": {"status": "x"}},
                "options": {"accountId": "customer-7"},
            },
            headers=dev,
        )
        assert sent.status_code == 200, sent.text
    [one] = await _events_named(db, "with-account-1")
    [two] = await _events_named(db, "with-account-2")
    assert one.external_account_id is not None
    assert one.external_account_id == two.external_account_id
    assert {run.external_account_id for run in await _runs(db)} == {one.external_account_id}


async def test_an_event_for_a_job_using_integrations_resolves_its_connections(
    environments: dict[str, EnvironmentKeys],
    http: httpx.AsyncClient,
    dev: dict[str, str],
    drain_queue: Drain,
    db: Database,
) -> None:
    github = {"id": "github", "metadata": {"id": "github", "name": "GitHub"}}
    async with fake_endpoint("hosted-app", environments["dev"].api_key) as fake:
        fake.index_jobs(
            [job_metadata("sync", integrations={"gh": {**github, "authSource": "HOSTED"}})]
        )
        created = await http.post(
            "/api/v1/endpoints", json={"id": "hosted-app", "url": fake.url}, headers=dev
        )
        assert created.status_code == 200, created.text
        await drain_queue()
        sent = await http.post(
            "/api/v1/events",
            json={"event": {"name": "order.created", "payload": {"status": "paid"}}},
            headers=dev,
        )
        assert sent.status_code == 200, sent.text
    [run] = await _runs(db)
    assert run.status is RunStatus.WAITING_ON_CONNECTIONS  # no connection to GitHub yet
