"""Endpoint registration and indexing against endpoints that misbehave in every way."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import Endpoint, EndpointIndex, Job, JobVersion
from kongflow.db.session import Database
from kongflow.domain.enums import JobVersionStatus
from kongflow.resources import Resources
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from tests.support.fake_endpoint import FakeEndpoint, fake_endpoint
from tests.support.jobs import job_metadata
from tests.support.tenancy import EnvironmentKeys

Drain = Callable[[], Awaitable[None]]


@pytest.fixture
async def endpoint(environments: dict[str, EnvironmentKeys]) -> AsyncIterator[FakeEndpoint]:
    async with fake_endpoint("my-app", environments["dev"].api_key) as fake:
        fake.index_jobs([job_metadata("a"), job_metadata("b")])
        yield fake


async def _register(http: httpx.AsyncClient, dev: dict[str, str], url: str) -> httpx.Response:
    return await http.post("/api/v1/endpoints", json={"id": "my-app", "url": url}, headers=dev)


async def _index(
    http: httpx.AsyncClient, dev: dict[str, str], fake: FakeEndpoint, drain: Drain
) -> dict[str, Any]:
    created = await _register(http, dev, fake.url)
    assert created.status_code == 200, created.text
    await drain()
    index_id = created.json()["endpointIndex"]["id"]
    answer = await http.get(f"/api/v1/endpointindex/{index_id}", headers=dev)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


async def _rows(db: Database, statement: Any) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.scalars(statement)).all())


async def test_register_and_index(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
) -> None:
    index = await _index(http, dev, endpoint, drain_queue)
    assert index["status"] == "SUCCESS"
    assert index["stats"]["jobs"] == 2
    assert {job.slug for job in await _rows(db, select(Job))} == {"a", "b"}
    ping, index_call = endpoint.requests
    assert ping["action"] == "PING" and ping["headers"]["x-trigger-endpoint-id"] == "my-app"
    assert index_call["action"] == "INDEX_ENDPOINT"
    assert index_call["headers"]["x-trigger-api-key"] == endpoint.api_key
    assert index_call["headers"]["x-trigger-version"] == "2023-09-29"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", "http://", "/api/trigger"])
async def test_urls_that_are_not_http_are_refused(
    http: httpx.AsyncClient, dev: dict[str, str], url: str
) -> None:
    response = await _register(http, dev, url)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_url"


async def test_unreachable_endpoint_says_could_not_connect(
    http: httpx.AsyncClient, dev: dict[str, str]
) -> None:
    response = await _register(http, dev, "http://127.0.0.1:9/api/trigger")
    assert response.status_code == 400
    assert response.json()["code"] == "could_not_connect"
    assert response.json()["error"].startswith("Could not connect to endpoint")


async def test_html_ping_answer_is_a_clear_failure(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint
) -> None:
    endpoint.answer("PING", raw=b"<html>hello</html>", headers={"content-type": "text/html"})
    response = await _register(http, dev, endpoint.url)
    assert response.status_code == 400
    assert "not JSON (text/html)" in response.json()["error"]


@pytest.mark.parametrize(
    ("answer", "code", "fragment"),
    [
        (
            {"raw": b"<html>oops</html>", "headers": {"content-type": "text/html"}},
            "endpoint_bad_response",
            "not JSON",
        ),
        (
            {"status": 405, "json_body": {"message": "Method not allowed"}},
            "endpoint_bad_response",
            "HTTP 405: Method not allowed",
        ),
        (
            {"status": 401, "json_body": {"message": "Unauthorized: wrong key"}},
            "endpoint_unauthorized",
            "wrong key",
        ),
        ({"json_body": {"jobs": "nope"}}, "endpoint_bad_response", "jobs"),
        ({"status": 500, "raw": b"crash"}, "endpoint_bad_response", "HTTP 500"),
    ],
)
async def test_broken_index_answers_fail_the_index_and_register_nothing(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
    answer: dict[str, Any],
    code: str,
    fragment: str,
) -> None:
    endpoint.answer("INDEX_ENDPOINT", **answer)
    index = await _index(http, dev, endpoint, drain_queue)
    assert index["status"] == "FAILURE"
    assert index["error"]["code"] == code
    assert fragment in index["error"]["message"]
    assert await _rows(db, select(Job)) == []


async def test_slow_index_times_out(
    resources: Resources,
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    db: Database,
) -> None:
    endpoint.answer("INDEX_ENDPOINT", json_body={"jobs": []}, delay=1.0)
    created = await _register(http, dev, endpoint.url)
    quick = Resources(
        database=resources.database,
        http=resources.http,
        key=resources.key,
        settings=resources.settings.model_copy(update={"endpoint_timeout_seconds": 0.2}),
    )
    index = await perform_endpoint_index(quick, created.json()["endpointIndex"]["id"])
    assert index.error is not None
    assert index.error["code"] == "endpoint_unreachable"
    assert "no answer to INDEX_ENDPOINT in time" in index.error["message"]


async def test_oversized_index_is_refused(
    http: httpx.AsyncClient, dev: dict[str, str], endpoint: FakeEndpoint, drain_queue: Drain
) -> None:
    endpoint.answer("INDEX_ENDPOINT", raw=b"[" + b"0," * (9 * 1024 * 1024) + b"0]")
    index = await _index(http, dev, endpoint, drain_queue)
    assert index["status"] == "FAILURE"
    assert "larger than 16 MiB" in index["error"]["message"]


async def test_redirect_is_followed_and_remembered(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
) -> None:
    endpoint.redirect_index_to = "/moved"
    index = await _index(http, dev, endpoint, drain_queue)
    assert index["status"] == "SUCCESS" and index["stats"]["jobs"] == 2
    [row] = await _rows(db, select(Endpoint))
    assert row.url.endswith("/moved")
    assert [r["path"] for r in endpoint.requests] == ["/api/trigger", "/api/trigger", "/moved"]


async def test_invalid_jobs_are_reported_and_the_rest_register(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
) -> None:
    endpoint.index_jobs([job_metadata("good"), job_metadata("bad", version=""), {"id": 7}])
    index = await _index(http, dev, endpoint, drain_queue)
    assert index["status"] == "SUCCESS"
    assert index["stats"]["jobs"] == 1 and index["stats"]["failedJobs"] == 2
    assert [error["id"] for error in index["jobErrors"]] == ["bad", None]
    assert any("version" in problem for problem in index["jobErrors"][0]["problems"])
    assert {job.slug for job in await _rows(db, select(Job))} == {"good"}


async def test_jobs_that_vanish_are_disabled_not_deleted(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
) -> None:
    await _index(http, dev, endpoint, drain_queue)
    endpoint.index_jobs([job_metadata("a")])
    reindexed = await http.post(
        "/api/v1/endpoints/my-app/index", json={"reason": "deploy"}, headers=dev
    )
    assert reindexed.status_code == 200, reindexed.text
    body = reindexed.json()
    assert body["status"] == "SUCCESS" and body["reason"] == "deploy" and body["source"] == "API"
    assert body["stats"]["disabledJobs"] == 1
    assert body["data"]["disabledJobs"] == ["b"]
    statuses = {
        slug: status
        for slug, status in (
            await _execute(db, select(Job.slug, JobVersion.status).join(JobVersion))
        )
    }
    assert statuses == {"a": JobVersionStatus.ACTIVE, "b": JobVersionStatus.DISABLED}


async def _execute(db: Database, statement: Any) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.execute(statement)).all())


async def test_deploy_hook_queues_an_index_only_with_the_secret(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    drain_queue: Drain,
    db: Database,
) -> None:
    created = (await _register(http, dev, endpoint.url)).json()
    base = f"/api/v1/endpoints/{created['environmentId']}/my-app/index"
    wrong = await http.post(f"{base}/not-the-hook")
    assert wrong.status_code == 404
    hooked = await http.post(f"{base}/{created['indexingHookIdentifier']}")
    assert hooked.status_code == 200
    await drain_queue()
    [hook_index] = await _rows(db, select(EndpointIndex).where(EndpointIndex.source == "HOOK"))
    assert hook_index.status.value == "SUCCESS"


async def test_indexes_of_other_environments_are_not_found(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    endpoint: FakeEndpoint,
    environments: dict[str, EnvironmentKeys],
) -> None:
    created = (await _register(http, dev, endpoint.url)).json()
    prod = {"Authorization": f"Bearer {environments['prod'].api_key}"}
    index_id = created["endpointIndex"]["id"]
    assert (await http.get(f"/api/v1/endpointindex/{index_id}", headers=prod)).status_code == 404
    assert (await http.post("/api/v1/endpoints/my-app/index", headers=prod)).status_code == 404
    assert (await http.get("/api/v1/endpointindex/eidx_nope", headers=dev)).status_code == 404


async def test_malformed_registration_bodies(http: httpx.AsyncClient, dev: dict[str, str]) -> None:
    for body in ({}, {"id": "x"}, {"url": "http://a"}, {"id": "has space", "url": "http://a"}):
        response = await http.post("/api/v1/endpoints", json=body, headers=dev)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_failed"
    broken = await http.post(
        "/api/v1/endpoints", content=b"{", headers={**dev, "content-type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json()["code"] == "invalid_json"
