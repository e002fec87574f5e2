"""The management API's job read routes (list, detail, diff, stats), over real HTTP
against real PostgreSQL."""

import re
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import Endpoint, Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.job_stats import FINISHED_STATUSES
from kongflow.services.jobs.register_job import register_job
from tests.support.jobs import CRON_TRIGGER, job_metadata, make_endpoint
from tests.support.tenancy import EnvironmentKeys

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
SCHEDULE_EVENT = {"name": "trigger.scheduled", "title": "Cron Schedule", "source": "trigger.dev"}
INVOKE_EVENT = {"name": "invoke", "title": "Manual Invoke", "source": "trigger.dev"}


@pytest.fixture
async def dev_endpoint(db: Database, environments: dict[str, EnvironmentKeys]) -> Endpoint:
    return await make_endpoint(db, "dev")


@pytest.fixture
def dev(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return {"Authorization": f"Bearer {environments['dev'].api_key}"}


@pytest.fixture
def prod(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return {"Authorization": f"Bearer {environments['prod'].api_key}"}


async def _register(
    db: Database, endpoint: Endpoint, slug: str = "order-created", **overrides: Any
) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug, **overrides)))


def _integration(slug: str) -> dict[str, Any]:
    return {"id": slug, "metadata": {"id": slug, "name": slug.title()}, "authSource": "LOCAL"}


async def _jobs(http: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await http.get("/api/manage/jobs", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [job["slug"] for job in response.json()["jobs"]]


async def test_list_describes_each_job_and_filters(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, "orders", integrations={"gh": _integration("github")})
    await _register(db, dev_endpoint, "nightly", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)
    await _register(db, dev_endpoint, "invoked", event=INVOKE_EVENT, trigger={"type": "invoke"})
    await _register(db, dev_endpoint, "dynamic", trigger={"type": "dynamic", "id": "dyn"})
    await _register(db, dev_endpoint, "paused", name="Paused orders")
    await _register(db, dev_endpoint, "paused", name="Paused orders", enabled=False)

    response = await http.get("/api/manage/jobs", headers=dev)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["nextCursor"] is None
    by_slug = {job["slug"]: job for job in body["jobs"]}
    assert list(by_slug) == ["dynamic", "invoked", "nightly", "orders", "paused"]
    orders = by_slug["orders"]
    assert {key: orders[key] for key in orders if not key.endswith("At")} == {
        "slug": "orders",
        "title": "Job orders",
        "internal": False,
        "latestVersion": "1.0.0",
        "latestVersionStatus": "ACTIVE",
        "triggerType": "static",
        "eventNames": ["order.created"],
        "enabled": True,
        "integrations": ["github"],
    }
    assert ISO_UTC.match(orders["createdAt"]) and ISO_UTC.match(orders["updatedAt"])
    assert orders["deletedAt"] is None
    assert [by_slug[slug]["triggerType"] for slug in ("dynamic", "invoked", "nightly")] == [
        "dynamic",
        "invoke",
        "scheduled",
    ]
    assert by_slug["nightly"]["eventNames"] == ["dev.trigger.scheduled"]
    assert by_slug["paused"]["enabled"] is False

    assert await _jobs(http, dev, search="PAUSED") == ["paused"]
    assert await _jobs(http, dev, trigger="invoke") == ["invoked"]
    assert await _jobs(http, dev, trigger="static") == ["orders", "paused"]
    assert await _jobs(http, dev, event="order.created", enabled="true") == ["orders"]
    assert await _jobs(http, dev, enabled="false") == ["paused"]
    assert await _jobs(http, dev, integration="github") == ["orders"]
    assert await _jobs(http, dev, event="dev.trigger.scheduled") == ["nightly"]


async def test_list_pages_with_a_filter(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    for slug in ("job-a", "job-b", "job-c", "job-d", "job-e"):
        await _register(db, dev_endpoint, slug)
    await _register(db, dev_endpoint, "job-c", trigger={"type": "invoke"})

    first = await http.get(
        "/api/manage/jobs", params={"trigger": "static", "limit": 2}, headers=dev
    )
    assert first.status_code == 200, first.text
    cursor = first.json()["nextCursor"]
    assert [job["slug"] for job in first.json()["jobs"]] == ["job-a", "job-b"]
    assert isinstance(cursor, str)
    second = await http.get(
        "/api/manage/jobs", params={"trigger": "static", "limit": 2, "cursor": cursor}, headers=dev
    )
    assert second.status_code == 200, second.text
    assert [job["slug"] for job in second.json()["jobs"]] == ["job-d", "job-e"]
    assert second.json()["nextCursor"] is None

    default = await http.get("/api/manage/jobs", headers=dev)
    assert len(default.json()["jobs"]) == 5  # the default page of 20 holds them all


async def test_detail(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, version="1.0.0")
    await _register(
        db,
        dev_endpoint,
        version="1.1.0",
        concurrencyLimit={"id": "mail", "limit": 2},
        integrations={"gh": _integration("github")},
    )

    response = await http.get("/api/manage/jobs/order-created", headers=dev)

    assert response.status_code == 200, response.text
    job = response.json()
    assert (job["slug"], job["title"], job["latestVersion"]) == (
        "order-created",
        "Job order-created",
        "1.1.0",
    )
    assert job["triggerType"] == "static" and job["eventNames"] == ["order.created"]
    assert job["trigger"]["type"] == "static"
    assert job["trigger"]["rule"]["payload"] == {"status": ["paid"]}
    newest, oldest = job["versions"]
    assert (newest["version"], oldest["version"]) == ("1.1.0", "1.0.0")
    assert newest["status"] == "ACTIVE" and newest["concurrencyLimitGroup"] == "mail"
    assert newest["endpointId"] == dev_endpoint.id and newest["preprocessRuns"] is False
    assert ISO_UTC.match(newest["createdAt"])
    assert job["aliases"] == [{"name": "latest", "version": "1.1.0", "versionId": newest["id"]}]
    assert job["dispatcher"] == {
        "event": ["order.created"],
        "source": "trigger.dev",
        "payloadFilter": {"status": ["paid"]},
        "contextFilter": None,
        "manual": False,
        "enabled": True,
        "version": "1.1.0",
        "versionId": newest["id"],
    }
    assert job["schedule"] is None
    assert job["integrations"] == [
        {"key": "gh", "slug": "github", "authSource": "LOCAL", "setupStatus": "COMPLETE"}
    ]
    assert job["examples"] == [
        {"slug": "paid", "name": "Paid order", "icon": None, "payload": {"status": "paid"}}
    ]


async def test_detail_of_a_scheduled_job(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, "nightly", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)

    job = (await http.get("/api/manage/jobs/nightly", headers=dev)).json()

    assert job["triggerType"] == "scheduled"
    assert job["trigger"]["schedule"]["options"] == {"cron": "*/5 * * * *"}
    schedule = job["schedule"]
    assert schedule["active"] is True and schedule["lastEventTimestamp"] is None
    assert ISO_UTC.match(schedule["nextEventTimestamp"])


async def test_diff_of_two_versions(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint, version="1.0.0")
    paid = job_metadata()["trigger"]
    paid["rule"]["event"] = "order.paid"
    await _register(
        db,
        dev_endpoint,
        version="2.0.0",
        trigger=paid,
        concurrencyLimit=3,
        integrations={"pay": _integration("stripe")},
    )

    response = await http.get(
        "/api/manage/jobs/order-created/diff", params={"from": "1.0.0", "to": "2.0.0"}, headers=dev
    )

    assert response.status_code == 200, response.text
    diff = response.json()
    assert (diff["job"], diff["from"], diff["to"], diff["identical"]) == (
        "order-created",
        "1.0.0",
        "2.0.0",
        False,
    )
    rule = {"source": "trigger.dev", "payload": {"status": ["paid"]}, "context": None}
    assert diff["fields"] == [
        {"field": "concurrency_limit", "before": None, "after": 3},
        {
            "field": "trigger.rule",
            "before": rule | {"event": "order.created"},
            "after": rule | {"event": "order.paid"},
        },
    ]
    assert diff["integrations"] == {
        "added": [{"key": "pay", "before": None, "after": "stripe"}],
        "removed": [],
        "changed": [],
    }
    assert diff["examples"] == {"added": [], "removed": [], "changed": []}

    same = await http.get(
        "/api/manage/jobs/order-created/diff", params={"from": "2.0.0", "to": "2.0.0"}, headers=dev
    )
    assert same.json()["identical"] is True and same.json()["fields"] == []
    unknown = await http.get(
        "/api/manage/jobs/order-created/diff", params={"from": "1.0.0", "to": "9.9.9"}, headers=dev
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "version_not_found"


async def test_stats_count_test_runs(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint)
    empty = await http.get("/api/manage/jobs/order-created/stats", headers=dev)
    assert empty.status_code == 200, empty.text
    assert empty.json()["totalRuns"] == 0 and empty.json()["lastRun"] is None

    run_ids = []
    for _ in range(2):
        created = await http.post("/api/manage/jobs/order-created/test", json={}, headers=dev)
        assert created.status_code == 201, created.text
        run_ids.append(created.json()["run"]["id"])

    response = await http.get(
        "/api/manage/jobs/order-created/stats", params={"windowHours": 1}, headers=dev
    )

    assert response.status_code == 200, response.text
    stats = response.json()
    async with db.transaction() as session:  # whatever the run engine made of them so far
        statuses = Counter((await session.scalars(select(Run.status))).all())
    assert stats["job"] == "order-created"
    assert stats["totalRuns"] == 2
    assert {status: n for status, n in stats["runsByStatus"].items() if n} == {
        status.value: n for status, n in statuses.items()
    }
    assert set(stats["runsByStatus"]) == {status.value for status in RunStatus}
    finished = sum(n for status, n in statuses.items() if status in FINISHED_STATUSES)
    success_rate = statuses[RunStatus.SUCCESS] / finished if finished else None
    assert stats["successRate"] == success_rate
    assert stats["lastRun"]["id"] == run_ids[-1]
    assert ISO_UTC.match(stats["lastRun"]["createdAt"])
    assert ISO_UTC.match(stats["windowStart"]) and ISO_UTC.match(stats["windowEnd"])
    assert stats["windowStart"] < stats["windowEnd"]


async def test_another_environments_job_is_not_found(
    db: Database,
    dev_endpoint: Endpoint,
    http: httpx.AsyncClient,
    dev: dict[str, str],
    prod: dict[str, str],
) -> None:
    await _register(db, dev_endpoint)
    await _register(db, await make_endpoint(db, "prod"), "prod-only")

    assert await _jobs(http, prod) == ["prod-only"]
    assert await _jobs(http, dev) == ["order-created"]
    for path, params in (
        ("/api/manage/jobs/order-created", {}),
        ("/api/manage/jobs/order-created/diff", {"from": "1.0.0", "to": "1.0.0"}),
        ("/api/manage/jobs/order-created/stats", {}),
    ):
        response = await http.get(path, params=params, headers=prod)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "job_not_found"


async def test_a_key_is_required(http: httpx.AsyncClient, db: Database) -> None:
    for path in (
        "/api/manage/jobs",
        "/api/manage/jobs/order-created",
        "/api/manage/jobs/order-created/diff?from=1.0.0&to=1.0.0",
        "/api/manage/jobs/order-created/stats",
    ):
        response = await http.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/manage/jobs", {"limit": 0}),
        ("/api/manage/jobs", {"limit": 101}),
        ("/api/manage/jobs", {"limit": "many"}),
        ("/api/manage/jobs", {"trigger": "webhook"}),
        ("/api/manage/jobs", {"enabled": "perhaps"}),
        ("/api/manage/jobs/order-created/diff", {"from": "1.0.0"}),
        ("/api/manage/jobs/order-created/diff", {"from": "", "to": "1.0.0"}),
        ("/api/manage/jobs/order-created/stats", {"windowHours": 0}),
        ("/api/manage/jobs/order-created/stats", {"windowHours": 721}),
    ],
)
async def test_bad_query_parameters_are_422(
    db: Database,
    dev_endpoint: Endpoint,
    http: httpx.AsyncClient,
    dev: dict[str, str],
    path: str,
    params: dict[str, Any],
) -> None:
    await _register(db, dev_endpoint)
    response = await http.get(path, params=params, headers=dev)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_failed"


async def test_a_bad_cursor_is_400(
    db: Database, dev_endpoint: Endpoint, http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    await _register(db, dev_endpoint)
    for cursor in ("%%%", "//8"):
        response = await http.get("/api/manage/jobs", params={"cursor": cursor}, headers=dev)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_cursor"
    largest = await http.get("/api/manage/jobs", params={"limit": 100}, headers=dev)
    assert largest.status_code == 200
