"""The SDK's run routes (GetRun, a job's runs, invoke, cancel, cancel-runs) over real
HTTP against real PostgreSQL, checked against the recorded SDK traffic
(``client-api/09`` to ``15``).

Runs are made the way the SDK makes them (``invoke``), tasks through the task API,
and finished runs by letting the worker execute them against a scripted endpoint.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from kongflow.db.orm import Endpoint, EventRecord, ExternalAccount, Run, RunSubscription, Task
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_job import register_job
from tests.support.fake_endpoint import FakeEndpoint, fake_endpoint
from tests.support.jobs import count_queries, job_metadata, make_endpoint
from tests.support.tenancy import EnvironmentKeys

Drain = Callable[[], Awaitable[None]]
JOB = "tasks-wait"
SERIALIZED = {"Trigger-Version": "2023-11-01"}
RUN_OUTPUT = {"first": {"doubled": 42, "attempt": 1}, "second": {"tripled": 63}}
PROGRESS = {"label": "Progress", "state": "loading", "data": {"pct": 50}}

# Key order of the recorded answers.
GET_RUN_KEYS = ["id", "status", "startedAt", "updatedAt", "completedAt", "output", "tasks"]
TASK_KEYS = ["id", "displayKey", "status", "name", "icon", "startedAt", "completedAt"]
RUN_SUMMARY_KEYS = ["id", "status", "startedAt", "updatedAt", "completedAt"]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def dev(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return _bearer(environments["dev"].api_key)


@pytest.fixture
def dev_public(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return _bearer(environments["dev"].pk_api_key)


@pytest.fixture
def prod(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return _bearer(environments["prod"].api_key)


async def _register(db: Database, endpoint: Endpoint, slug: str = JOB) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug)))


@pytest.fixture
async def app(
    db: Database, environments: dict[str, EnvironmentKeys]
) -> AsyncIterator[FakeEndpoint]:
    """The dev environment's endpoint (scripted to succeed) with jobs ``tasks-wait``
    and ``other-job`` registered."""
    async with fake_endpoint("my-app", environments["dev"].api_key) as fake:
        fake.answer("EXECUTE_JOB", json_body={"status": "SUCCESS", "output": RUN_OUTPUT})
        endpoint = await make_endpoint(db, "dev", url=fake.url)
        await _register(db, endpoint, JOB)
        await _register(db, endpoint, "other-job")
        yield fake


@pytest.fixture
async def prod_job(db: Database, environments: dict[str, EnvironmentKeys]) -> None:
    """The same job deployed to prod (on an endpoint nothing executes against)."""
    await _register(db, await make_endpoint(db, "prod"), JOB)


async def _invoke(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    slug: str = JOB,
    key: str | None = None,
    **body: Any,
) -> httpx.Response:
    headers = {**auth, **({"Idempotency-Key": key} if key is not None else {})}
    return await http.post(f"/api/v1/jobs/{slug}/invoke", json=body, headers=headers)


async def _new_run(http: httpx.AsyncClient, auth: dict[str, str], slug: str = JOB) -> str:
    response = await _invoke(http, auth, slug, payload={"n": 21}, context={}, options={})
    assert response.status_code == 200, response.text
    run_id: str = response.json()["id"]
    return run_id


async def _task(
    http: httpx.AsyncClient, run_id: str, auth: dict[str, str], key: str, **body: Any
) -> dict[str, Any]:
    response = await http.post(
        f"/api/v1/runs/{run_id}/tasks",
        json={"idempotencyKey": key, "name": key, "noop": False, **body},
        headers={**auth, "Idempotency-Key": key},
    )
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()
    return task


async def _complete(
    http: httpx.AsyncClient, run_id: str, task_id: str, auth: dict[str, str], output: Any
) -> None:
    response = await http.post(
        f"/api/v1/runs/{run_id}/tasks/{task_id}/complete",
        json={"output": json.dumps(output)},
        headers={**auth, **SERIALIZED},
    )
    assert response.status_code == 200, response.text


async def _get(http: httpx.AsyncClient, path: str, auth: dict[str, str]) -> dict[str, Any]:
    response = await http.get(path, headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _set_status(db: Database, run_id: str, status: RunStatus) -> None:
    async with db.transaction() as session:
        await session.execute(update(Run).where(Run.id == run_id).values(status=status))


async def _run_row(db: Database, run_id: str) -> Run:
    async with db.transaction() as session:
        return await session.get_one(Run, run_id)


async def _task_statuses(db: Database, run_id: str) -> dict[str, TaskStatus]:
    async with db.transaction() as session:
        rows = await session.execute(select(Task.name, Task.status).where(Task.run_id == run_id))
        return {name: status for name, status in rows}


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and isinstance(body["error"], str) and body["error"]


def _is_iso(value: Any) -> bool:
    return isinstance(value, str) and value.endswith("Z") and bool(datetime.fromisoformat(value))


# ------------------------------------------------------------------------ GetRun


async def test_get_run_answers_in_the_recorded_shape_on_v1_and_v2(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint, drain_queue: Drain
) -> None:
    run_id = await _new_run(http, dev)
    log = await _task(http, run_id, dev, "log-1", name="log", icon="log", params={"n": 21})
    await _complete(http, run_id, log["id"], dev, None)
    step = await _task(
        http, run_id, dev, "step-1", name="Step 1", icon="calculator", displayKey="step-1"
    )
    await _complete(http, run_id, step["id"], dev, {"doubled": 42, "attempt": 1})
    status = await http.put(f"/api/v1/runs/{run_id}/statuses/progress", json=PROGRESS, headers=dev)
    assert status.status_code == 200
    await drain_queue()  # the endpoint answers SUCCESS with RUN_OUTPUT

    for version in ("v1", "v2"):
        query = "?subtasks=true&taskdetails=true&take=5"
        body = await _get(http, f"/api/{version}/runs/{run_id}{query}", dev)
        assert list(body) == [*GET_RUN_KEYS, "statuses"]  # one page: no nextCursor
        assert body["id"] == run_id and body["status"] == "SUCCESS"
        assert body["output"] == RUN_OUTPUT
        assert all(_is_iso(body[key]) for key in ("startedAt", "updatedAt", "completedAt"))
        assert body["statuses"] == [{"key": "progress", **PROGRESS, "history": [PROGRESS]}]
        first, second = body["tasks"]
        assert list(first) == [*TASK_KEYS, "params", "output", "subtasks"]
        assert first["id"] == log["id"] and first["displayKey"] is None
        assert (first["status"], first["name"], first["icon"]) == ("COMPLETED", "log", "log")
        assert first["params"] == {"n": 21} and first["output"] is None
        assert first["subtasks"] == []
        assert _is_iso(first["startedAt"]) and _is_iso(first["completedAt"])
        assert second["id"] == step["id"] and second["displayKey"] == "step-1"
        assert (second["name"], second["icon"]) == ("Step 1", "calculator")
        assert second["params"] is None
        assert second["output"] == {"doubled": 42, "attempt": 1}

        plain = await _get(http, f"/api/{version}/runs/{run_id}", dev)  # client-api/10
        assert list(plain) == [*GET_RUN_KEYS, "statuses"]
        assert [list(task) for task in plain["tasks"]] == [TASK_KEYS, TASK_KEYS]
        assert plain["statuses"] == body["statuses"]


async def test_a_run_without_output_or_tasks_still_has_every_key(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint
) -> None:
    run_id = await _new_run(http, dev)
    body = await _get(http, f"/api/v2/runs/{run_id}", dev)
    assert body == {
        "id": run_id,
        "status": "QUEUED",
        "startedAt": None,
        "updatedAt": body["updatedAt"],
        "completedAt": None,
        "output": None,
        "tasks": [],
        "statuses": [],
    }
    assert _is_iso(body["updatedAt"])


async def test_public_key_reads_the_run_but_never_task_details(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    dev_public: dict[str, str],
    app: FakeEndpoint,
) -> None:
    run_id = await _new_run(http, dev)
    task = await _task(http, run_id, dev, "secret-step", params={"token": "s3cret"})
    await _complete(http, run_id, task["id"], dev, {"card": "4242"})

    for version in ("v1", "v2"):
        path = f"/api/{version}/runs/{run_id}?taskdetails=true&subtasks=true"
        body = await _get(http, path, dev_public)
        [shown] = body["tasks"]
        assert list(shown) == [*TASK_KEYS, "subtasks"]
        assert "s3cret" not in json.dumps(body) and "4242" not in json.dumps(body)

    with_secret = await _get(http, f"/api/v2/runs/{run_id}?taskdetails=true", dev)
    assert with_secret["tasks"][0]["params"] == {"token": "s3cret"}

    # The public key opens only the read route.
    for method, path in (
        ("POST", f"/api/v1/runs/{run_id}/cancel"),
        ("GET", f"/api/v1/jobs/{JOB}/runs"),
        ("POST", f"/api/v1/jobs/{JOB}/invoke"),
        ("POST", f"/api/v1/jobs/{JOB}/cancel-runs"),
    ):
        refused = await http.request(method, path, headers=dev_public)
        assert refused.status_code == 401, (method, path)
        assert refused.json()["error"] == "Invalid or Missing API key"
    assert (await http.get(f"/api/v2/runs/{run_id}")).status_code == 401


async def test_subtasks_are_nested_under_their_parents(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint
) -> None:
    run_id = await _new_run(http, dev)
    parent = await _task(http, run_id, dev, "parent")
    child = await _task(http, run_id, dev, "child", parentId=parent["id"])
    grandchild = await _task(http, run_id, dev, "grandchild", parentId=child["id"])
    sibling = await _task(http, run_id, dev, "sibling", parentId=parent["id"])
    after = await _task(http, run_id, dev, "after")

    nested = await _get(http, f"/api/v2/runs/{run_id}?subtasks=true", dev)
    [top, last] = nested["tasks"]
    assert top["id"] == parent["id"] and last["id"] == after["id"]
    assert [task["id"] for task in top["subtasks"]] == [child["id"], sibling["id"]]
    assert [task["id"] for task in top["subtasks"][0]["subtasks"]] == [grandchild["id"]]
    assert top["subtasks"][0]["subtasks"][0]["subtasks"] == []
    assert top["subtasks"][1]["subtasks"] == [] and last["subtasks"] == []
    assert list(top["subtasks"][0]) == [*TASK_KEYS, "subtasks"]

    flat = await _get(http, f"/api/v2/runs/{run_id}", dev)  # top level only, no subtasks key
    assert [task["id"] for task in flat["tasks"]] == [parent["id"], after["id"]]
    assert all("subtasks" not in task for task in flat["tasks"])

    # Pages count top-level tasks, each with its whole subtree.
    first = await _get(http, f"/api/v2/runs/{run_id}?subtasks=true&take=1", dev)
    assert [task["id"] for task in first["tasks"]] == [parent["id"]]
    assert len(first["tasks"][0]["subtasks"]) == 2
    assert first["nextCursor"] == after["id"]
    rest = await _get(
        http, f"/api/v2/runs/{run_id}?subtasks=true&take=1&cursor={first['nextCursor']}", dev
    )
    assert [task["id"] for task in rest["tasks"]] == [after["id"]] and "nextCursor" not in rest


async def test_a_page_of_task_trees_costs_the_same_queries_however_large(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint, db: Database
) -> None:
    small = await _new_run(http, dev)
    await _task(http, small, dev, "only")
    large = await _new_run(http, dev)
    for n in range(4):
        parent = await _task(http, large, dev, f"parent-{n}")
        child = await _task(http, large, dev, f"child-{n}", parentId=parent["id"])
        await _task(http, large, dev, f"grandchild-{n}", parentId=child["id"])

    totals, on_tasks = [], []
    for run_id in (small, large):
        with count_queries(db) as statements:
            await _get(http, f"/api/v2/runs/{run_id}?subtasks=true&taskdetails=true", dev)
        totals.append(len(statements))
        on_tasks.append(len([sql for sql in statements if "FROM tasks" in sql]))
    assert totals[0] == totals[1]
    assert on_tasks == [2, 2]  # the page, then every subtree at once


async def test_tasks_are_paged_in_creation_order(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint
) -> None:
    run_id = await _new_run(http, dev)
    created = [(await _task(http, run_id, dev, f"step-{n:02}"))["id"] for n in range(51)]
    assert created == sorted(created)

    default = await _get(http, f"/api/v2/runs/{run_id}", dev)
    assert [task["id"] for task in default["tasks"]] == created[:20]
    assert default["nextCursor"] == created[20]
    assert list(default)[-1] == "nextCursor"

    capped = await _get(http, f"/api/v2/runs/{run_id}?take=100", dev)  # at most 50
    assert [task["id"] for task in capped["tasks"]] == created[:50]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?take=7&cursor={cursor}" if cursor else "?take=7"
        page = await _get(http, f"/api/v1/runs/{run_id}{query}", dev)
        seen += [task["id"] for task in page["tasks"]]
        pages += 1
        cursor = page.get("nextCursor")
        if cursor is None:
            break
    assert seen == created and pages == 8


async def test_bad_task_paging_parameters_are_refused(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint
) -> None:
    run_id = await _new_run(http, dev)
    parent = await _task(http, run_id, dev, "parent")
    child = await _task(http, run_id, dev, "child", parentId=parent["id"])
    other_run = await _new_run(http, dev)
    foreign = await _task(http, other_run, dev, "foreign")

    for cursor in ("nope", child["id"], foreign["id"], "task_%00"):
        response = await http.get(f"/api/v2/runs/{run_id}?cursor={cursor}", headers=dev)
        _assert_error(response, 400, "invalid_cursor")
    for query in ("take=0", "take=-1", "take=abc", "subtasks=maybe", "taskdetails=2x"):
        response = await http.get(f"/api/v2/runs/{run_id}?{query}", headers=dev)
        _assert_error(response, 422, "validation_failed")
    empty_cursor = await _get(http, f"/api/v2/runs/{run_id}?cursor=", dev)
    assert [task["id"] for task in empty_cursor["tasks"]] == [parent["id"]]


async def test_in_flight_statuses_read_as_started(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint, db: Database
) -> None:
    run_id = await _new_run(http, dev)
    cases = {
        RunStatus.EXECUTING: "STARTED",
        RunStatus.WAITING_TO_CONTINUE: "STARTED",
        RunStatus.WAITING_TO_EXECUTE: "STARTED",
        RunStatus.QUEUED: "QUEUED",
        RunStatus.WAITING_ON_CONNECTIONS: "WAITING_ON_CONNECTIONS",
        RunStatus.TIMED_OUT: "TIMED_OUT",
    }
    for stored, shown in cases.items():
        await _set_status(db, run_id, stored)
        for version in ("v1", "v2"):
            assert (await _get(http, f"/api/{version}/runs/{run_id}", dev))["status"] == shown
        listed = await _get(http, f"/api/v1/jobs/{JOB}/runs", dev)
        assert listed["runs"][0]["status"] == shown


async def test_unknown_and_foreign_runs_are_not_found(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    prod: dict[str, str],
    environments: dict[str, EnvironmentKeys],
    app: FakeEndpoint,
    db: Database,
) -> None:
    run_id = await _new_run(http, dev)
    prod_public = _bearer(environments["prod"].pk_api_key)
    for auth in (prod, prod_public):
        for version in ("v1", "v2"):
            response = await http.get(f"/api/{version}/runs/{run_id}", headers=auth)
            _assert_error(response, 404, "run_not_found")
    cancelled = await http.post(f"/api/v1/runs/{run_id}/cancel", headers=prod)
    _assert_error(cancelled, 404, "run_not_found")
    assert (await _run_row(db, run_id)).status is RunStatus.QUEUED

    for path in ("/api/v2/runs/run_missing", "/api/v2/runs/run%00x"):
        _assert_error(await http.get(path, headers=dev), 404, "run_not_found")
    _assert_error(await http.post("/api/v1/runs/run%00x/cancel", headers=dev), 404, "run_not_found")


# ------------------------------------------------------------------------ cancel


async def test_cancel_closes_open_tasks_and_answers_the_recorded_shape(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    app: FakeEndpoint,
    db: Database,
    drain_queue: Drain,
) -> None:
    run_id = await _new_run(http, dev)
    done = await _task(http, run_id, dev, "done")
    await _complete(http, run_id, done["id"], dev, {"ok": True})
    await _task(http, run_id, dev, "running")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    waiting = await _task(http, run_id, dev, "waiting", delayUntil=later)
    assert waiting["status"] == "WAITING"

    response = await http.post(f"/api/v1/runs/{run_id}/cancel", headers=dev)
    assert response.status_code == 200, response.text
    body = response.json()
    # client-api/14: no output when the run has none
    assert list(body) == [*GET_RUN_KEYS[:5], "tasks", "statuses"]
    assert body["id"] == run_id and body["status"] == "CANCELED"
    assert _is_iso(body["completedAt"]) and _is_iso(body["updatedAt"])
    assert [task["status"] for task in body["tasks"]] == ["COMPLETED", "CANCELED", "CANCELED"]
    assert all(list(task) == TASK_KEYS for task in body["tasks"])
    assert body["statuses"] == []

    assert await _task_statuses(db, run_id) == {
        "done": TaskStatus.COMPLETED,
        "running": TaskStatus.CANCELED,
        "waiting": TaskStatus.CANCELED,
    }
    run = await _run_row(db, run_id)
    assert run.status is RunStatus.CANCELED and run.completed_at is not None

    await drain_queue()  # the queued execution was dropped: the endpoint is never called
    assert [r for r in app.requests if r["action"] == "EXECUTE_JOB"] == []

    again = await http.post(f"/api/v1/runs/{run_id}/cancel", headers=dev)
    assert again.status_code == 200 and again.json() == body


async def test_cancelling_a_finished_run_answers_it_unchanged(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    app: FakeEndpoint,
    db: Database,
    drain_queue: Drain,
) -> None:
    run_id = await _new_run(http, dev)
    await drain_queue()
    before = await _run_row(db, run_id)
    assert before.status is RunStatus.SUCCESS

    response = await http.post(f"/api/v1/runs/{run_id}/cancel", headers=dev)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "SUCCESS" and body["output"] == RUN_OUTPUT
    assert list(body) == [*GET_RUN_KEYS, "statuses"]
    after = await _run_row(db, run_id)
    assert after.status is RunStatus.SUCCESS and after.completed_at == before.completed_at


# ------------------------------------------------------------------- a job's runs


async def test_runs_of_a_job_are_listed_newest_first_in_pages(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint
) -> None:
    created = [await _new_run(http, dev) for _ in range(3)]
    await _new_run(http, dev, "other-job")  # not listed

    first = await _get(http, f"/api/v1/jobs/{JOB}/runs?take=2", dev)
    assert list(first) == ["runs", "nextCursor"]  # client-api/11
    assert [run["id"] for run in first["runs"]] == [created[2], created[1]]
    assert first["nextCursor"] == created[0]
    assert all(list(run) == RUN_SUMMARY_KEYS for run in first["runs"])
    assert first["runs"][0]["status"] == "QUEUED" and first["runs"][0]["startedAt"] is None
    assert _is_iso(first["runs"][0]["updatedAt"])

    rest = await _get(http, f"/api/v1/jobs/{JOB}/runs?take=2&cursor={first['nextCursor']}", dev)
    assert [run["id"] for run in rest["runs"]] == [created[0]] and "nextCursor" not in rest

    everything = await _get(http, f"/api/v1/jobs/{JOB}/runs", dev)
    assert [run["id"] for run in everything["runs"]] == created[::-1]
    assert "nextCursor" not in everything


async def test_a_job_with_more_runs_than_a_page_caps_the_page(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint
) -> None:
    created = [await _new_run(http, dev) for _ in range(22)]
    default = await _get(http, f"/api/v1/jobs/{JOB}/runs", dev)
    assert [run["id"] for run in default["runs"]] == created[::-1][:20]
    assert default["nextCursor"] == created[1]
    capped = await _get(http, f"/api/v1/jobs/{JOB}/runs?take=500", dev)
    assert len(capped["runs"]) == 22 and "nextCursor" not in capped


async def test_runs_list_errors(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    prod: dict[str, str],
    app: FakeEndpoint,
) -> None:
    other = await _new_run(http, dev, "other-job")
    for cursor in ("nope", other, "run_%00"):
        response = await http.get(f"/api/v1/jobs/{JOB}/runs?cursor={cursor}", headers=dev)
        _assert_error(response, 400, "invalid_cursor")
    for query in ("take=0", "take=x"):
        response = await http.get(f"/api/v1/jobs/{JOB}/runs?{query}", headers=dev)
        _assert_error(response, 422, "validation_failed")
    _assert_error(await http.get("/api/v1/jobs/missing/runs", headers=dev), 404, "job_not_found")
    _assert_error(await http.get(f"/api/v1/jobs/{JOB}/runs", headers=prod), 404, "job_not_found")
    nul = await http.get("/api/v1/jobs/a%00b/runs", headers=dev)
    _assert_error(nul, 422, "validation_failed")


async def test_runs_list_shows_only_this_environments_runs(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    prod: dict[str, str],
    app: FakeEndpoint,
    prod_job: None,
) -> None:
    in_dev = await _new_run(http, dev)
    in_prod = await _new_run(http, prod)
    dev_runs = await _get(http, f"/api/v1/jobs/{JOB}/runs", dev)
    prod_runs = await _get(http, f"/api/v1/jobs/{JOB}/runs", prod)
    assert [run["id"] for run in dev_runs["runs"]] == [in_dev]
    assert [run["id"] for run in prod_runs["runs"]] == [in_prod]
    response = await http.get(f"/api/v1/jobs/{JOB}/runs?cursor={in_dev}", headers=prod)
    _assert_error(response, 400, "invalid_cursor")


# ------------------------------------------------------------------------ invoke


async def test_invoke_with_a_key_answers_the_recorded_shape_once(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint, db: Database
) -> None:
    body = {  # client-api/12
        "payload": {"name": "Ada"},
        "context": {"from": "tour"},
        "options": {"accountId": "acct_1", "callbackUrl": "http://127.0.0.1:9/callback"},
    }
    response = await _invoke(http, dev, key="inv-1", **body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == ["id"] and answer["id"].startswith("run_")

    async with db.transaction() as session:
        run = await session.get_one(Run, answer["id"])
        event = await session.get_one(EventRecord, run.event_id)
        account = await session.get_one(ExternalAccount, event.external_account_id)
        recipients = set(
            await session.scalars(
                select(RunSubscription.recipient).where(RunSubscription.run_id == run.id)
            )
        )
    assert run.status is RunStatus.QUEUED
    assert (event.event_id, event.name) == ("inv-1", "invoke")
    assert event.payload == {"name": "Ada"} and event.context == {"from": "tour"}
    assert event.internal and account.identifier == "acct_1"
    assert recipients == {"http://127.0.0.1:9/callback"}

    repeated = await _invoke(http, dev, key="inv-1", **body)
    assert repeated.status_code == 200 and repeated.json() == answer
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Run)) == 1


async def test_invoke_without_a_key_starts_a_run_each_time(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint, db: Database
) -> None:
    body = {"payload": {"name": "Grace"}, "context": {}, "options": {}}  # client-api/13
    first = await _invoke(http, dev, **body)
    second = await _invoke(http, dev, **body)
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] != second.json()["id"]

    bare = await http.post(f"/api/v1/jobs/{JOB}/invoke", headers=dev)  # no body at all
    assert bare.status_code == 200, bare.text
    async with db.transaction() as session:
        event = await session.scalar(
            select(EventRecord)
            .join(Run, Run.event_id == EventRecord.id)
            .where(Run.id == bare.json()["id"])
        )
    assert event is not None and event.payload == {} and event.context == {}


async def test_concurrent_invokes_with_one_key_start_one_run(
    http: httpx.AsyncClient, dev: dict[str, str], app: FakeEndpoint, db: Database
) -> None:
    responses = await asyncio.gather(
        *(_invoke(http, dev, key="same-key", payload={"n": n}) for n in range(6))
    )
    assert {response.status_code for response in responses} == {200}
    assert len({response.json()["id"] for response in responses}) == 1
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Run)) == 1


async def test_invoke_errors(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    prod: dict[str, str],
    app: FakeEndpoint,
    db: Database,
) -> None:
    _assert_error(await _invoke(http, dev, "missing"), 404, "job_not_found")
    _assert_error(await _invoke(http, prod), 404, "job_not_found")  # dev's job only
    for url in ("ftp://example.com/x", "not a url", "/relative", "http://", "http://h:99999/"):
        response = await _invoke(http, dev, options={"callbackUrl": url})
        _assert_error(response, 422, "validation_failed")
    for body in (
        {"payload": {"text": "nul\u0000"}},
        {"options": {"accountId": ""}},
        {"options": {"accountId": 5}},
        {"options": []},
    ):
        _assert_error(await _invoke(http, dev, **body), 422, "validation_failed")
    too_long = await _invoke(http, dev, key="k" * 513)
    _assert_error(too_long, 400, "invalid_idempotency_key")
    broken = await http.post(
        f"/api/v1/jobs/{JOB}/invoke",
        content=b"{not json",
        headers={**dev, "Content-Type": "application/json"},
    )
    _assert_error(broken, 400, "invalid_json")
    _assert_error(await _invoke(http, dev, "a%00b"), 422, "validation_failed")
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Run)) == 0


# ------------------------------------------------------------------- cancel-runs


async def test_cancel_runs_of_a_job_touches_only_this_environment(
    http: httpx.AsyncClient,
    dev: dict[str, str],
    prod: dict[str, str],
    app: FakeEndpoint,
    prod_job: None,
    db: Database,
    drain_queue: Drain,
) -> None:
    finished = await _new_run(http, dev)
    await drain_queue()
    open_runs = [await _new_run(http, dev) for _ in range(2)]
    other_job = await _new_run(http, dev, "other-job")
    in_prod = await _new_run(http, prod)

    response = await http.post(f"/api/v1/jobs/{JOB}/cancel-runs", headers=dev)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["cancelledRunIds", "failedToCancelRunIds"]  # client-api/15
    assert sorted(body["cancelledRunIds"]) == sorted(open_runs)
    assert body["failedToCancelRunIds"] == []

    statuses = {run_id: (await _run_row(db, run_id)).status for run_id in [finished, *open_runs]}
    assert statuses == {
        finished: RunStatus.SUCCESS,
        open_runs[0]: RunStatus.CANCELED,
        open_runs[1]: RunStatus.CANCELED,
    }
    assert (await _run_row(db, other_job)).status is RunStatus.QUEUED
    assert (await _run_row(db, in_prod)).status is RunStatus.QUEUED

    _assert_error(
        await http.post("/api/v1/jobs/missing/cancel-runs", headers=dev), 404, "job_not_found"
    )
