"""The management API's job actions, over real HTTP against real PostgreSQL."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import (
    Endpoint,
    EventDispatcher,
    EventRecord,
    ExternalAccount,
    Job,
    JobAlias,
    JobVersion,
    Run,
)
from kongflow.db.session import Database
from kongflow.domain.enums import JobVersionStatus, RunStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_job import register_job
from tests.support.jobs import job_metadata, make_endpoint
from tests.support.tenancy import EnvironmentKeys


@pytest.fixture
async def dev_endpoint(db: Database, environments: dict[str, EnvironmentKeys]) -> Endpoint:
    return await make_endpoint(db, "dev")


@pytest.fixture
def dev(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return {"Authorization": f"Bearer {environments['dev'].api_key}"}


async def _register(
    db: Database, endpoint: Endpoint, slug: str = "order-created", **overrides: Any
) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug, **overrides)))


async def _rows(db: Database, statement: Any) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.scalars(statement)).all())


async def test_test_run_records_a_test_event_and_queues_a_run(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint)
    response = await http.post(
        "/api/manage/jobs/order-created/test",
        json={"payload": {"status": "paid", "amount": 5}, "accountId": "acct-1"},
        headers=dev,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["run"]["status"] == "QUEUED"  # its first execution queued
    assert body["event"]["id"].startswith("test:order.created:")

    [event] = await _rows(db, select(EventRecord))
    assert event.is_test and event.internal and event.payload == {"status": "paid", "amount": 5}
    [run] = await _rows(db, select(Run))
    assert run.id == body["run"]["id"] and run.is_test and run.event_id == event.id
    assert run.status is RunStatus.QUEUED
    [account] = await _rows(db, select(ExternalAccount))
    assert account.identifier == "acct-1" and event.external_account_id == account.id


async def test_test_run_payload_must_match_the_event_schema(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    event = job_metadata()["event"]
    event["schema"] = {
        "type": "object",
        "properties": {"amount": {"type": "number"}},
        "required": ["amount"],
    }
    await _register(db, dev_endpoint, event=event)
    response = await http.post(
        "/api/manage/jobs/order-created/test", json={"payload": {"amount": "ten"}}, headers=dev
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert error["details"] == [{"path": "amount", "message": "'ten' is not of type 'number'"}]
    assert await _rows(db, select(Run)) == []


async def test_rollback_moves_latest_and_dispatcher_and_survives_reindexing(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, version="1.0.0")
    trigger = job_metadata()["trigger"]
    trigger["rule"]["event"] = "order.paid"
    await _register(db, dev_endpoint, version="1.1.0", trigger=trigger)

    response = await http.post(
        "/api/manage/jobs/order-created/rollback", json={"version": "1.0.0"}, headers=dev
    )
    assert response.status_code == 200, response.text
    assert response.json()["latest"]["version"] == "1.0.0"
    [alias] = await _rows(db, select(JobAlias))
    [dispatcher] = await _rows(db, select(EventDispatcher))
    assert alias.value == "1.0.0"
    assert dispatcher.event == ["order.created"]  # the old version's trigger is back
    assert dispatcher.dispatchable["id"] == alias.version_id

    await _register(db, dev_endpoint, version="1.1.0", trigger=trigger)  # endpoint re-indexes
    [alias] = await _rows(db, select(JobAlias))
    assert alias.value == "1.0.0"

    await _register(db, dev_endpoint, version="1.2.0")  # a new release moves forward again
    [alias] = await _rows(db, select(JobAlias))
    assert alias.value == "1.2.0"


async def test_rollback_errors(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, version="1.0.0")
    await _register(db, dev_endpoint, version="1.0.0", enabled=False)
    await _register(db, dev_endpoint, version="2.0.0")
    unknown = await http.post(
        "/api/manage/jobs/order-created/rollback", json={"version": "9.9.9"}, headers=dev
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "version_not_found"
    disabled = await http.post(
        "/api/manage/jobs/order-created/rollback", json={"version": "1.0.0"}, headers=dev
    )
    assert disabled.status_code == 409 and disabled.json()["error"]["code"] == "version_disabled"
    missing = await http.post("/api/manage/jobs/order-created/rollback", json={}, headers=dev)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "validation_failed"


async def test_disable_then_enable(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint)
    off = await http.post("/api/manage/jobs/order-created/disable", headers=dev)
    assert off.status_code == 200 and off.json()["latest"]["status"] == "DISABLED"
    [dispatcher] = await _rows(db, select(EventDispatcher))
    assert not dispatcher.enabled
    on = await http.post("/api/manage/jobs/order-created/enable", headers=dev)
    assert on.status_code == 200 and on.json()["latest"]["status"] == "ACTIVE"
    [dispatcher] = await _rows(db, select(EventDispatcher))
    assert dispatcher.enabled


async def test_another_environments_job_is_not_found(
    db: Database,
    dev_endpoint: Endpoint,
    http: httpx.AsyncClient,
    environments: dict[str, EnvironmentKeys],
) -> None:
    await _register(db, dev_endpoint)
    prod = {"Authorization": f"Bearer {environments['prod'].api_key}"}
    for method, path in (
        ("POST", "/api/manage/jobs/order-created/disable"),
        ("POST", "/api/manage/jobs/order-created/test"),
        ("DELETE", "/api/manage/jobs/order-created"),
    ):
        response = await http.request(method, path, headers=prod, json={})
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "job_not_found"
    [version] = await _rows(db, select(JobVersion))
    assert version.status is JobVersionStatus.ACTIVE


async def test_delete_cancels_pending_runs_and_refuses_while_live_elsewhere(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    prod_endpoint = await make_endpoint(db, "prod")
    await _register(db, dev_endpoint)
    await _register(db, prod_endpoint)
    created = await http.post("/api/manage/jobs/order-created/test", json={}, headers=dev)
    run_id = created.json()["run"]["id"]

    refused = await http.delete("/api/manage/jobs/order-created", headers=dev)
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"environments": ["prod"]}

    await _register(db, prod_endpoint, enabled=False)
    deleted = await http.delete("/api/manage/jobs/order-created", headers=dev)
    assert deleted.status_code == 200 and deleted.json()["cancelledRunIds"] == [run_id]
    [job] = await _rows(db, select(Job))
    assert job.deleted_at is not None
    [run] = await _rows(db, select(Run))
    assert run.status is RunStatus.CANCELED
    gone = await http.post("/api/manage/jobs/order-created/disable", headers=dev)
    assert gone.status_code == 404


async def test_cancel_runs_reports_each_run(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint)
    ids = [
        (await http.post("/api/manage/jobs/order-created/test", json={}, headers=dev)).json()[
            "run"
        ]["id"]
        for _ in range(3)
    ]
    first = await http.post("/api/manage/jobs/order-created/cancel-runs", headers=dev)
    assert first.status_code == 200
    assert sorted(first.json()["cancelledRunIds"]) == sorted(ids)
    again = await http.post("/api/manage/jobs/order-created/cancel-runs", headers=dev)
    assert again.json() == {"cancelledRunIds": [], "failedToCancelRunIds": []}


async def test_batch_reports_per_job(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, "a")
    await _register(db, dev_endpoint, "b")
    response = await http.post(
        "/api/manage/jobs/batch",
        json={"action": "disable", "jobs": ["a", "nope", "b", "a"]},
        headers=dev,
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["job"], r["ok"]) for r in results] == [("a", True), ("nope", False), ("b", True)]
    assert results[1]["error"]["code"] == "job_not_found"
    statuses = {v.status for v in await _rows(db, select(JobVersion))}
    assert statuses == {JobVersionStatus.DISABLED}


async def test_bad_input_is_a_clear_4xx(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint)
    broken = await http.post(
        "/api/manage/jobs/order-created/test",
        content=b"{not json",
        headers={**dev, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    action = await http.post(
        "/api/manage/jobs/batch", json={"action": "explode", "jobs": ["a"]}, headers=dev
    )
    assert action.status_code == 422
    empty = await http.post(
        "/api/manage/jobs/batch", json={"action": "enable", "jobs": []}, headers=dev
    )
    assert empty.status_code == 422
    unauthenticated = await http.post("/api/manage/jobs/order-created/disable")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthorized"
