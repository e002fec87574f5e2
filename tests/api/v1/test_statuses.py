"""Run statuses and run logs, over real HTTP against real PostgreSQL, checked against
the recorded SDK traffic (``client-api/07``, ``08``, ``runs/status-and-store/03``, ``23``)."""

import asyncio
import logging

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import Endpoint, Run, RunStatusRecord
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import EnvironmentKeys

WORKING = {"label": "Working", "state": "loading", "data": {"progress": 0.1}}
DONE = {"label": "Done", "state": "success", "data": {"progress": 1}}


@pytest.fixture
async def dev_endpoint(db: Database, environments: dict[str, EnvironmentKeys]) -> Endpoint:
    return await make_endpoint(db, "dev")


@pytest.fixture
async def run(db: Database, dev_endpoint: Endpoint) -> Run:
    return await make_run(db, dev_endpoint)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def dev(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return _bearer(environments["dev"].api_key)


@pytest.fixture
def prod(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return _bearer(environments["prod"].api_key)


async def _records(db: Database) -> list[RunStatusRecord]:
    async with db.transaction() as session:
        return list((await session.scalars(select(RunStatusRecord))).all())


async def test_two_updates_answer_as_recorded_and_keep_the_history(
    http: httpx.AsyncClient, run: Run, dev: dict[str, str]
) -> None:
    path = f"/api/v1/runs/{run.id}/statuses/status-1"

    first = await http.put(path, json=WORKING, headers=dev)
    assert first.status_code == 200, first.text
    assert first.json() == {"key": "status-1", **WORKING, "history": [WORKING]}

    second = await http.put(path, json=DONE, headers=dev)
    assert second.status_code == 200
    assert second.json() == {"key": "status-1", **DONE, "history": [WORKING, DONE]}


async def test_get_statuses_answers_as_recorded_on_v1_and_v2(
    db: Database, http: httpx.AsyncClient, dev_endpoint: Endpoint, dev: dict[str, str]
) -> None:
    output = {"first": {"doubled": 42, "attempt": 1}, "second": {"tripled": 63}}
    run = await make_run(db, dev_endpoint, status=RunStatus.SUCCESS, output=output)
    progress = {"label": "Progress", "state": "loading", "data": {"pct": 50}}
    updated = await http.put(f"/api/v1/runs/{run.id}/statuses/progress", json=progress, headers=dev)
    assert updated.json() == {"key": "progress", **progress, "history": [progress]}

    expected = {
        "run": {"id": run.id, "status": "SUCCESS", "output": output},
        "statuses": [{"key": "progress", **progress, "history": [progress]}],
    }
    for version in ("v1", "v2"):
        response = await http.get(f"/api/{version}/runs/{run.id}/statuses", headers=dev)
        assert response.status_code == 200
        assert response.json() == expected


async def test_statuses_are_listed_oldest_first_with_the_public_run_status(
    db: Database, http: httpx.AsyncClient, dev_endpoint: Endpoint, dev: dict[str, str]
) -> None:
    run = await make_run(db, dev_endpoint, status=RunStatus.WAITING_TO_CONTINUE)
    for key in ("b", "a", "c"):
        await http.post(f"/api/v1/runs/{run.id}/statuses/{key}", json={"label": key}, headers=dev)
    body = (await http.get(f"/api/v2/runs/{run.id}/statuses", headers=dev)).json()
    assert body["run"] == {"id": run.id, "status": "STARTED", "output": None}
    assert [status["key"] for status in body["statuses"]] == ["b", "a", "c"]


async def test_post_works_like_put_and_left_out_fields_keep_their_value(
    db: Database, http: httpx.AsyncClient, run: Run, dev: dict[str, str]
) -> None:
    path = f"/api/v1/runs/{run.id}/statuses/sync"

    # No label on the first call: the key stands in; no state or data: keys left out.
    created = await http.post(path, json={}, headers=dev)
    assert created.status_code == 200
    assert created.json() == {"key": "sync", "label": "sync", "history": [{"label": "sync"}]}

    labelled = await http.post(path, json={"label": "Syncing", "data": {"n": 1}}, headers=dev)
    state_only = await http.put(path, json={"state": "failure", "label": None}, headers=dev)
    assert labelled.status_code == state_only.status_code == 200
    assert state_only.json() == {
        "key": "sync",
        "label": "Syncing",
        "state": "failure",
        "data": {"n": 1},
        "history": [
            {"label": "sync"},
            {"label": "Syncing", "data": {"n": 1}},
            {"label": "Syncing", "state": "failure", "data": {"n": 1}},
        ],
    }
    replaced = await http.put(path, json={"data": {"m": 2}}, headers=dev)
    assert replaced.json()["data"] == {"m": 2}  # replaced whole, not merged
    [record] = await _records(db)
    assert (record.run_id, record.key, record.label) == (run.id, "sync", "Syncing")


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        ('{"label": "x", "state": "done"}', 422, "validation_failed"),
        ('{"label": "x", "data": [1, 2]}', 422, "validation_failed"),
        ('{"label": 5}', 422, "validation_failed"),
        ("[]", 422, "validation_failed"),
        ('{"label": "x",', 400, "invalid_json"),
    ],
    ids=["bad-state", "data-not-object", "label-not-string", "not-object", "malformed"],
)
async def test_bad_status_bodies_are_refused_with_a_code(
    db: Database,
    http: httpx.AsyncClient,
    run: Run,
    dev: dict[str, str],
    content: str,
    status: int,
    code: str,
) -> None:
    response = await http.put(
        f"/api/v1/runs/{run.id}/statuses/s",
        content=content,
        headers={**dev, "Content-Type": "application/json"},
    )
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["error"]
    assert await _records(db) == []


async def test_an_unusable_status_key_is_a_422(
    db: Database, http: httpx.AsyncClient, run: Run, dev: dict[str, str]
) -> None:
    for key in ("a%00b", "k" * 501):
        response = await http.put(
            f"/api/v1/runs/{run.id}/statuses/{key}", json={"label": "x"}, headers=dev
        )
        assert response.status_code == 422
        assert response.json()["code"] == "validation_failed"
    assert await _records(db) == []


async def test_the_public_key_may_read_statuses_but_not_write_them(
    http: httpx.AsyncClient,
    run: Run,
    dev: dict[str, str],
    environments: dict[str, EnvironmentKeys],
) -> None:
    public = _bearer(environments["dev"].pk_api_key)
    await http.put(f"/api/v1/runs/{run.id}/statuses/s", json=WORKING, headers=dev)
    for version in ("v1", "v2"):
        read = await http.get(f"/api/{version}/runs/{run.id}/statuses", headers=public)
        assert read.status_code == 200
        assert [status["key"] for status in read.json()["statuses"]] == ["s"]
    for method in ("PUT", "POST"):
        write = await http.request(
            method, f"/api/v1/runs/{run.id}/statuses/s", json=DONE, headers=public
        )
        assert write.status_code == 401
        assert write.json()["code"] == "unauthorized"
    read_again = await http.get(f"/api/v2/runs/{run.id}/statuses", headers=dev)
    assert read_again.json()["statuses"][0]["label"] == "Working"


async def test_another_environments_run_is_not_found(
    db: Database,
    http: httpx.AsyncClient,
    run: Run,
    dev: dict[str, str],
    prod: dict[str, str],
    environments: dict[str, EnvironmentKeys],
) -> None:
    await http.put(f"/api/v1/runs/{run.id}/statuses/s", json=WORKING, headers=dev)
    prod_public = _bearer(environments["prod"].pk_api_key)
    attempts = [
        ("PUT", f"/api/v1/runs/{run.id}/statuses/s", prod),
        ("POST", f"/api/v1/runs/{run.id}/statuses/other", prod),
        ("GET", f"/api/v1/runs/{run.id}/statuses", prod),
        ("GET", f"/api/v2/runs/{run.id}/statuses", prod_public),
        ("GET", "/api/v2/runs/run_doesnotexist/statuses", dev),
        ("PUT", "/api/v1/runs/run_doesnotexist/statuses/s", dev),
        ("PUT", "/api/v1/runs/run%00x/statuses/s", dev),
    ]
    for method, path, headers in attempts:
        response = await http.request(method, path, json=DONE, headers=headers)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "run_not_found"
    [record] = await _records(db)
    assert record.label == "Working" and record.history == [WORKING]


async def test_a_run_log_is_logged_and_echoed(
    http: httpx.AsyncClient,
    run: Run,
    dev: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="kongflow.api.v1.logs")
    levels = {
        "DEBUG": logging.DEBUG,
        "INFO": logging.INFO,
        "LOG": logging.INFO,
        "WARN": logging.WARNING,
        "ERROR": logging.ERROR,
    }
    for level, expected in levels.items():
        caplog.clear()
        body = {"level": level, "message": f"hello {level}", "data": {"n": 1}}
        response = await http.post(f"/api/v1/runs/{run.id}/logs", json=body, headers=dev)
        assert response.status_code == 200
        assert response.json() == body
        [record] = [r for r in caplog.records if r.name == "kongflow.api.v1.logs"]
        assert record.levelno == expected
        assert run.id in record.getMessage() and f"hello {level}" in record.getMessage()

    plain = await http.post(
        f"/api/v1/runs/{run.id}/logs", json={"level": "INFO", "message": "no data"}, headers=dev
    )
    assert plain.json() == {"level": "INFO", "message": "no data"}


async def test_bad_run_logs_are_refused(
    http: httpx.AsyncClient,
    run: Run,
    dev: dict[str, str],
    prod: dict[str, str],
    environments: dict[str, EnvironmentKeys],
) -> None:
    path = f"/api/v1/runs/{run.id}/logs"
    line = {"level": "INFO", "message": "hi"}
    bad_level = await http.post(path, json={"level": "TRACE", "message": "hi"}, headers=dev)
    assert bad_level.status_code == 422 and bad_level.json()["code"] == "validation_failed"
    no_message = await http.post(path, json={"level": "INFO"}, headers=dev)
    assert no_message.status_code == 422
    malformed = await http.post(
        path, content="{", headers={**dev, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "invalid_json"
    other = await http.post(path, json=line, headers=prod)
    assert other.status_code == 404 and other.json()["code"] == "run_not_found"
    public = await http.post(path, json=line, headers=_bearer(environments["dev"].pk_api_key))
    assert public.status_code == 401


async def test_concurrent_first_updates_make_one_status_with_every_update_in_its_history(
    db: Database, http: httpx.AsyncClient, run: Run, dev: dict[str, str]
) -> None:
    path = f"/api/v1/runs/{run.id}/statuses/race"
    responses = await asyncio.gather(
        *(http.put(path, json={"label": f"step {n}"}, headers=dev) for n in range(6))
    )
    assert [response.status_code for response in responses] == [200] * 6
    [record] = await _records(db)
    assert record.history is not None
    assert sorted(entry["label"] for entry in record.history) == [f"step {n}" for n in range(6)]
    assert record.label == record.history[-1]["label"]
