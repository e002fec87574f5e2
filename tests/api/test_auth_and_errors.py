"""API keys resolve to one environment; every failure is a clear 4xx with a code."""

from collections.abc import AsyncIterator

import httpx

from kongflow.api.app import create_app
from kongflow.crypto import InstanceKey
from kongflow.resources import open_resources
from kongflow.settings import Settings
from tests.support.http import serve_app
from tests.support.tenancy import EnvironmentKeys


async def test_whoami_names_the_keys_environment(
    http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys]
) -> None:
    for slug in ("dev", "staging", "prod"):
        keys = environments[slug]
        response = await http.get(
            "/api/v1/whoami", headers={"Authorization": f"Bearer {keys.api_key}"}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["slug"] == slug
        assert body["pkApiKey"] == keys.pk_api_key
        assert body["project"]["slug"] == "default"
        assert body["organization"]["slug"] == "default"
        assert response.headers["x-request-id"]


async def test_missing_wrong_and_public_keys_are_401_in_the_sdk_shape(
    http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys]
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer tr_dev_doesnotexist0000000"},
        {"Authorization": f"Bearer {environments['dev'].pk_api_key}"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
    ):
        response = await http.get("/api/v1/whoami", headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {
            "error": "Invalid or Missing API key",
            "message": "Invalid or Missing API key",
            "code": "unauthorized",
        }


async def test_unknown_routes_answer_404_with_a_code(http: httpx.AsyncClient) -> None:
    sdk = await http.get("/api/v1/no-such-thing")
    assert sdk.status_code == 404 and sdk.json()["code"] == "not_found"
    own = await http.get("/nowhere")
    assert own.status_code == 404
    assert own.json()["error"]["code"] == "not_found"


async def test_wrong_method_is_405(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/whoami")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_request_id_is_echoed(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_healthz_is_ok_when_the_database_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_healthz_is_503_when_the_database_is_gone() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", secret_key="x")
    async with (
        open_resources(
            "postgresql://nobody@127.0.0.1:1/none",
            InstanceKey.from_secret("x"),
            settings,
            pool_size=1,
        ) as dead,
        serve_app(create_app(dead)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_openapi_document_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/whoami" in response.json()["paths"]


async def test_oversized_bodies_are_refused_with_413(
    http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys]
) -> None:
    auth = {"Authorization": f"Bearer {environments['dev'].api_key}"}
    big = b"x" * (9 * 1024 * 1024)
    declared = await http.post("/api/v1/endpoints", content=big, headers=auth)
    assert declared.status_code == 413
    assert declared.json()["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(9):
            yield b"x" * (1024 * 1024)

    streamed = await http.post("/api/manage/jobs/batch", content=chunks(), headers=auth)
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"
