"""The task API (create-or-get, complete, fail) and callback URLs, over real HTTP
against real PostgreSQL, in the shapes the captured v2 traffic shows."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, text, update

from kongflow.db.orm import (
    Endpoint,
    Integration,
    IntegrationDefinition,
    Run,
    RunConnection,
    Task,
    TaskAttempt,
)
from kongflow.db.raw import raw_transaction
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus, TaskAttemptStatus, TaskStatus
from kongflow.domain.protocol.tasks import RunTaskBody
from kongflow.errors import NotFound
from kongflow.ids import new_id
from kongflow.resources import Resources
from kongflow.services.tasks.complete_task import MAX_OUTPUT_BYTES
from kongflow.services.tasks.run_task import run_task
from kongflow.services.tasks.task_callback import (
    CALLBACK_TIMEOUT_OUTPUT,
    complete_task_by_callback,
    time_out_task_callback,
)
from kongflow.worker import tasks as worker_tasks
from kongflow.worker.names import RESUME_TASK, TASK_CALLBACK_TIMEOUT
from tests.support.jobs import make_endpoint, scope_of
from tests.support.runs import make_run
from tests.support.tenancy import EnvironmentKeys

KEY = "112147951639bc87cb98e77c9eed3c1beb667b84abbc12bfd14a19a8baae6fec"
SERIALIZED = {"Trigger-Version": "2023-11-01"}


async def _run_task(
    http: httpx.AsyncClient,
    run_id: str,
    auth: dict[str, str],
    key: str | None = KEY,
    *,
    versioned: bool = True,
    cursor: str = "",
    **body: Any,
) -> httpx.Response:
    headers = {**auth, "X-Cached-Tasks-Cursor": cursor}
    if key is not None:
        headers["Idempotency-Key"] = key
    if versioned:
        headers["Trigger-Version"] = "2023-09-29"
    payload = {"idempotencyKey": key or "body-key", "noop": False, **body}
    return await http.post(f"/api/v1/runs/{run_id}/tasks", json=payload, headers=headers)


async def _task(http: httpx.AsyncClient, run_id: str, auth: dict[str, str], **body: Any) -> Any:
    response = await _run_task(http, run_id, auth, **body)
    assert response.status_code == 200, response.text
    return response.json()["task"]


async def _rows(db: Database, statement: Any) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.scalars(statement)).all())


async def _jobs(db: Database) -> list[dict[str, Any]]:
    """The task jobs queued (other features queue their own jobs for a new run)."""
    async with db.transaction() as session:
        result = await session.execute(
            text(
                "SELECT task_name, queueing_lock, args, scheduled_at, status "
                "FROM procrastinate_jobs WHERE task_name IN (:resume, :timeout) ORDER BY id"
            ),
            {"resume": RESUME_TASK, "timeout": TASK_CALLBACK_TIMEOUT},
        )
        return [dict(row._mapping) for row in result]


def _soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------ create-or-get


async def test_new_task_runs_and_has_the_versioned_shape(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    response = await _run_task(
        http,
        run.id,
        dev,
        displayKey="step-1",
        name="Step 1",
        icon="calculator",
        params={"n": 21},
        properties=[{"label": "n", "text": "21"}, {"label": "partial"}, "junk"],
    )
    assert response.status_code == 200, response.text
    assert response.headers["trigger-version"] == "2023-09-29"
    body = response.json()
    assert set(body) == {"task"}  # no cursor header value: no cachedTasks
    task = body["task"]
    assert task["id"].startswith("task_")
    assert task["status"] == "RUNNING"
    assert task["name"] == "Step 1" and task["icon"] == "calculator" and not task["noop"]
    assert task["params"] == {"n": 21}
    assert task["properties"] == [{"label": "n", "text": "21"}]
    assert task["style"] == {"style": "normal"}
    assert task["attempts"] == 1 and task["idempotencyKey"] == KEY
    assert task["startedAt"].endswith("Z") and task["completedAt"] is None
    assert task["output"] is None and task["forceYield"] is False
    assert task["callbackUrl"] is None and task["operation"] is None
    assert task["childExecutionMode"] == "SEQUENTIAL"
    [attempt] = await _rows(db, select(TaskAttempt))
    assert attempt.task_id == task["id"] and attempt.number == 1
    assert attempt.status is TaskAttemptStatus.PENDING


async def test_unversioned_request_gets_a_bare_server_task(
    http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    response = await _run_task(http, run.id, dev, versioned=False, cursor="anything")
    assert response.status_code == 200, response.text
    assert "trigger-version" not in response.headers
    body = response.json()
    assert body["status"] == "RUNNING" and body["idempotencyKey"] == KEY and "task" not in body


async def test_header_key_wins_over_the_body_key(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    headers = {**dev, "Idempotency-Key": "from-header", "Trigger-Version": "2023-09-29"}
    response = await http.post(
        f"/api/v1/runs/{run.id}/tasks", json={"idempotencyKey": "from-body"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["task"]["idempotencyKey"] == "from-header"


async def test_wait_is_waiting_and_a_recreate_ignores_the_new_delay(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    first_delay = _soon(30)
    wait = await _task(
        http,
        run.id,
        dev,
        noop=True,
        name="wait",
        delayUntil=first_delay,
        style={"style": "minimal"},
    )
    assert wait["status"] == "WAITING" and wait["completedAt"] is None
    assert wait["style"] == {"style": "minimal"}
    assert wait["delayUntil"] == first_delay[:23] + "Z"

    again = await _task(http, run.id, dev, noop=True, name="wait", delayUntil=_soon(60))
    assert again == wait  # pitfall 6: the existing task is returned unchanged
    assert len(await _rows(db, select(Task))) == 1


async def test_a_past_delay_noop_completes_at_once(
    http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    log = await _task(
        http,
        run.id,
        dev,
        noop=True,
        name="log",
        description="starting",
        delayUntil="2020-01-01T00:00:00",  # no zone: read as UTC
        style={"style": "minimal", "variant": "info"},
    )
    assert log["status"] == "COMPLETED" and log["completedAt"] == log["startedAt"]
    assert log["style"] == {"style": "minimal", "variant": "info"}
    assert log["delayUntil"] == "2020-01-01T00:00:00.000Z"


async def test_callback_task_waits_with_a_secret_url_and_a_timeout_job(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    before = datetime.now(UTC)
    task = await _task(
        http,
        run.id,
        dev,
        name="Wait for Request",
        callback={"enabled": True, "timeoutInSeconds": 120},
    )
    assert task["status"] == "WAITING"
    base, secret = task["callbackUrl"].rsplit("/", 1)
    assert base == f"http://127.0.0.1:3030/api/v1/runs/{run.id}/tasks/{task['id']}/callback"
    assert len(secret) == 24 and int(secret, 16) >= 0
    [job] = await _jobs(db)
    assert job["task_name"] == TASK_CALLBACK_TIMEOUT
    assert job["queueing_lock"] == f"callback:{task['id']}"
    assert job["args"] == {"task_id": task["id"]}
    delay = (job["scheduled_at"] - before).total_seconds()
    assert 119 < delay < 130


async def test_concurrent_duplicate_creates_make_one_task(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    responses = await asyncio.gather(*(_run_task(http, run.id, dev) for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.json()["task"]["id"] for r in responses}) == 1
    assert len(await _rows(db, select(Task))) == 1
    assert len(await _rows(db, select(TaskAttempt))) == 1


async def test_parallel_task_and_its_children(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    parent = await _task(http, run.id, dev, key="parent", parallel=True)
    assert parent["childExecutionMode"] == "PARALLEL"
    child = await _task(http, run.id, dev, key="child", parentId=parent["id"])
    assert child["parentId"] == parent["id"]
    orphan = await _run_task(http, run.id, dev, key="orphan", parentId="task_nope")
    assert orphan.status_code == 422
    assert orphan.json()["code"] == "parent_task_not_found"
    # The parent is only checked for a new task: an existing one is returned as it is.
    again = await _task(http, run.id, dev, key="child", parentId="task_nope")
    assert again["id"] == child["id"]
    assert len(await _rows(db, select(Task))) == 2


async def test_a_task_naming_a_connection_key_uses_the_runs_connection(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    async with db.transaction() as session:
        session.add(IntegrationDefinition(id="github", name="GitHub"))
        integration = Integration(
            slug="gh", definition_id="github", organization_id=run.organization_id
        )
        session.add(integration)
        await session.flush()
        connection = RunConnection(run_id=run.id, key="gh", integration_id=integration.id)
        session.add(connection)
    await _task(http, run.id, dev, key="with", connectionKey="gh")
    await _task(http, run.id, dev, key="unknown", connectionKey="nope")
    stored = {task.idempotency_key: task for task in await _rows(db, select(Task))}
    assert stored["with"].run_connection_id == connection.id
    assert stored["unknown"].run_connection_id is None


async def test_lazy_cached_tasks_are_paged_by_cursor(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    ids = [new_id("task") for _ in range(260)]
    async with db.transaction() as session:
        session.add_all(
            Task(
                id=task_id,
                run_id=run.id,
                idempotency_key=f"done-{position}",
                status=TaskStatus.COMPLETED,
                output={"n": position},
            )
            for position, task_id in enumerate(ids)
        )
        session.add(  # noop tasks travel in the bloom filter, not here
            Task(run_id=run.id, idempotency_key="log", status=TaskStatus.COMPLETED, noop=True)
        )

    first = await _run_task(http, run.id, dev, key="next-1", cursor=ids[0])
    assert first.status_code == 200, first.text
    page = first.json()["cachedTasks"]
    assert len(page["tasks"]) == 250 and page["cursor"] == ids[250]
    assert page["tasks"][0] == {
        "id": "done-0",
        "idempotencyKey": "done-0",
        "status": "COMPLETED",
        "noop": False,
        "parentId": None,
        "output": {"n": 0},
    }

    second = await _run_task(http, run.id, dev, key="next-2", cursor=page["cursor"])
    rest = second.json()["cachedTasks"]
    assert [t["idempotencyKey"] for t in rest["tasks"]] == [f"done-{n}" for n in range(250, 260)]
    assert "cursor" not in rest

    unversioned = await _run_task(http, run.id, dev, key="next-3", versioned=False, cursor=ids[0])
    assert "cachedTasks" not in unversioned.json()


async def test_background_fetch_is_refused_and_creates_nothing(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    response = await _run_task(
        http, run.id, dev, operation="fetch", params={"url": "https://example.com"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_operation"
    assert "not supported" in response.json()["error"]
    assert await _rows(db, select(Task)) == []


async def test_missing_idempotency_key_header_is_400(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    response = await _run_task(http, run.id, dev, key=None)
    assert response.status_code == 400
    assert response.json()["code"] == "missing_idempotency_key"
    assert await _rows(db, select(Task)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"noop": False},  # no idempotencyKey
        {"idempotencyKey": KEY, "style": {"style": "fancy"}},
        {"idempotencyKey": KEY, "delayUntil": "tomorrow"},
        {"idempotencyKey": KEY, "callback": {"enabled": True, "timeoutInSeconds": 1e12}},
        {"idempotencyKey": KEY, "params": {"bad": "nul\u0000"}},
        {"idempotencyKey": KEY, "parentId": "task_\u0000", "connectionKey": "gh\u0000"},
        {"idempotencyKey": KEY, "name": "lone \ud800 surrogate"},
        {"idempotencyKey": KEY, "operation": "teleport"},
    ],
)
async def test_malformed_run_task_bodies_are_422(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run, body: dict[str, Any]
) -> None:
    headers = {**dev, "Idempotency-Key": KEY, "Content-Type": "application/json"}
    content = json.dumps(body).encode()  # json.dumps escapes the surrogate, as a client would
    response = await http.post(f"/api/v1/runs/{run.id}/tasks", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert await _rows(db, select(Task)) == []


async def test_nan_and_non_json_bodies_are_refused(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    headers = {**dev, "Idempotency-Key": KEY, "Content-Type": "application/json"}
    url = f"/api/v1/runs/{run.id}/tasks"
    nan = await http.post(url, content=b'{"idempotencyKey": "k", "params": NaN}', headers=headers)
    assert nan.status_code == 422
    broken = await http.post(url, content=b'{"idempotencyKey": ', headers=headers)
    assert broken.status_code == 400
    assert await _rows(db, select(Task)) == []


# ------------------------------------------------------------------ cancelled runs


async def test_a_cancelled_run_answers_canceled_and_keeps_doing_so(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], endpoint: Endpoint
) -> None:
    cancelled = await make_run(db, endpoint, status=RunStatus.CANCELED)
    task = await _task(http, cancelled.id, dev, noop=True, delayUntil=_soon(30))
    assert task["status"] == "CANCELED" and task["completedAt"] is not None
    again = await _task(http, cancelled.id, dev, noop=True, delayUntil=_soon(30))
    assert again["status"] == "CANCELED" and again["id"] == task["id"]

    succeeded = await make_run(db, endpoint, status=RunStatus.SUCCESS)
    late = await _task(http, succeeded.id, dev)
    assert late["status"] == "CANCELED"  # a finished run takes no new work
    callback = await _task(http, succeeded.id, dev, key="cb", callback={"enabled": True})
    assert callback["status"] == "CANCELED" and await _jobs(db) == []  # no timeout to wait for


async def test_a_canceled_task_of_a_live_run_is_revived(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev)
    async with db.transaction() as session:
        await session.execute(
            update(Task).where(Task.id == task["id"]).values(status=TaskStatus.CANCELED)
        )
    revived = await _task(http, run.id, dev, noop=True)
    assert revived["id"] == task["id"] and revived["status"] == "COMPLETED"

    async with db.transaction() as session:
        await session.execute(
            update(Task).where(Task.id == task["id"]).values(status=TaskStatus.CANCELED)
        )
        await session.execute(update(Run).where(Run.id == run.id).values(status=RunStatus.CANCELED))
    kept = await _task(http, run.id, dev, noop=True)
    assert kept["status"] == "CANCELED"


async def test_a_revived_callback_task_waits_with_a_url_and_a_timeout_job(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev, noop=True)
    assert task["callbackUrl"] is None
    async with db.transaction() as session:
        await session.execute(
            update(Task).where(Task.id == task["id"]).values(status=TaskStatus.CANCELED)
        )
    revived = await _task(http, run.id, dev, callback={"enabled": True, "timeoutInSeconds": 60})
    assert revived["id"] == task["id"] and revived["status"] == "WAITING"
    assert revived["callbackUrl"].startswith(
        f"http://127.0.0.1:3030/api/v1/runs/{run.id}/tasks/{task['id']}/callback/"
    )
    [job] = await _jobs(db)
    assert (job["task_name"], job["queueing_lock"]) == (
        TASK_CALLBACK_TIMEOUT,
        f"callback:{task['id']}",
    )


# ------------------------------------------------------------------ complete / fail


async def test_complete_with_json_text_output_is_idempotent(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev, name="Step 1")
    url = f"/api/v1/runs/{run.id}/tasks/{task['id']}/complete"
    body = {
        "output": json.dumps({"doubled": 42}),
        "properties": [{"label": "result", "text": "42"}],
    }
    response = await http.post(url, json=body, headers={**dev, **SERIALIZED})
    assert response.status_code == 200, response.text
    assert "trigger-version" not in response.headers
    done = response.json()
    assert done["status"] == "COMPLETED" and done["output"] == {"doubled": 42}
    assert done["outputProperties"] == [{"label": "result", "text": "42"}]
    assert done["completedAt"].endswith("Z") and done["attempts"] == 1
    [attempt] = await _rows(db, select(TaskAttempt))
    assert attempt.status is TaskAttemptStatus.COMPLETED

    retried = await http.post(url, json={"output": "1"}, headers={**dev, **SERIALIZED})
    assert retried.status_code == 200
    assert retried.json() == done
    # A later runTask of the same key returns the completed task with its output.
    assert (await _task(http, run.id, dev))["output"] == {"doubled": 42}


async def test_concurrent_completions_of_one_task_record_the_first_only(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    """The completion is one conditional statement: of eight racing requests, one
    writes its output and the others answer the task it finished."""
    task = await _task(http, run.id, dev)
    url = f"/api/v1/runs/{run.id}/tasks/{task['id']}/complete"
    answers = await asyncio.gather(
        *(
            http.post(url, json={"output": json.dumps(n)}, headers={**dev, **SERIALIZED})
            for n in range(8)
        )
    )
    assert {answer.status_code for answer in answers} == {200}
    [stored] = await _rows(db, select(Task))
    assert stored.status is TaskStatus.COMPLETED and stored.output in range(8)
    assert {answer.json()["output"] for answer in answers} == {stored.output}
    [attempt] = await _rows(db, select(TaskAttempt))
    assert attempt.status is TaskAttemptStatus.COMPLETED


async def test_complete_without_output_records_undefined(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev)
    url = f"/api/v1/runs/{run.id}/tasks/{task['id']}/complete"
    response = await http.post(url, json={}, headers={**dev, **SERIALIZED})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "COMPLETED" and "output" not in response.json()
    [row] = await _rows(db, select(Task))
    assert row.output_is_undefined and row.output is None


async def test_complete_from_an_older_sdk_takes_the_value_itself(
    http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    first = await _task(http, run.id, dev, key="a")
    response = await http.post(
        f"/api/v1/runs/{run.id}/tasks/{first['id']}/complete",
        json={"output": "plain string"},
        headers=dev,
    )
    assert response.status_code == 200, response.text
    assert response.json()["output"] == "plain string"
    second = await _task(http, run.id, dev, key="b")
    missing = await http.post(
        f"/api/v1/runs/{run.id}/tasks/{second['id']}/complete", json={}, headers=dev
    )
    assert missing.json()["output"] == {}


async def test_complete_with_unparsable_output_text_is_422(
    http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev)
    url = f"/api/v1/runs/{run.id}/tasks/{task['id']}/complete"
    for output in ("{not json", '"nul \\u0000"', "NaN", 42):
        response = await http.post(url, json={"output": output}, headers={**dev, **SERIALIZED})
        assert response.status_code == 422, (output, response.text)
        assert response.json()["code"] == "invalid_output"
    assert (await _task(http, run.id, dev))["status"] == "RUNNING"


async def test_oversized_output_fails_the_task_then_answers_413(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev)
    url = f"/api/v1/runs/{run.id}/tasks/{task['id']}/complete"
    huge = json.dumps("x" * (MAX_OUTPUT_BYTES + 10))
    response = await http.post(url, json={"output": huge}, headers={**dev, **SERIALIZED})
    assert response.status_code == 413
    assert response.json()["code"] == "output_too_large"
    errored = await _task(http, run.id, dev)
    assert errored["status"] == "ERRORED"
    assert errored["output"]["name"] == "OutputTooLarge"


async def test_fail_keeps_the_error_as_output(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev)
    error = {"message": "task body failed", "name": "Error", "stack": "Error: task body failed"}
    url = f"/api/v1/runs/{run.id}/tasks/{task['id']}/fail"
    response = await http.post(url, json={"error": error}, headers=dev)
    assert response.status_code == 200, response.text
    failed = response.json()
    assert failed["status"] == "ERRORED" and failed["output"] == error
    assert failed["error"] == "task body failed" and failed["completedAt"] is not None
    [attempt] = await _rows(db, select(TaskAttempt))
    assert attempt.status is TaskAttemptStatus.ERRORED
    assert attempt.error == "Error: task body failed"

    again = await http.post(url, json={"error": {"message": "other"}}, headers=dev)
    assert again.json() == failed
    completed = await http.post(
        f"/api/v1/runs/{run.id}/tasks/{task['id']}/complete",
        json={"output": "1"},
        headers={**dev, **SERIALIZED},
    )
    assert completed.json()["status"] == "ERRORED"  # finished tasks stay as they are

    malformed = await http.post(url, json={"error": "boom"}, headers=dev)
    assert malformed.status_code == 422


async def test_complete_or_fail_of_another_runs_task_is_404(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run, endpoint: Endpoint
) -> None:
    other = await make_run(db, endpoint, status=RunStatus.EXECUTING)
    task = await _task(http, other.id, dev)
    for action, body in (("complete", {"output": "1"}), ("fail", {"error": {"message": "x"}})):
        response = await http.post(
            f"/api/v1/runs/{run.id}/tasks/{task['id']}/{action}",
            json=body,
            headers={**dev, **SERIALIZED},
        )
        assert response.status_code == 404
        assert response.json()["code"] == "task_not_found"
    nul = await http.post(
        f"/api/v1/runs/{run.id}/tasks/task%00x/complete", json={}, headers={**dev, **SERIALIZED}
    )
    assert nul.status_code == 404


async def test_another_environments_run_is_404_everywhere(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], environments: Any
) -> None:
    staging_endpoint = await make_endpoint(db, "staging", slug="staging-app")
    staging_run = await make_run(db, staging_endpoint, status=RunStatus.EXECUTING)
    staging = {"Authorization": f"Bearer {environments['staging'].api_key}"}
    task = await _task(http, staging_run.id, staging)

    created = await _run_task(http, staging_run.id, dev, key="new")
    assert created.status_code == 404 and created.json()["code"] == "run_not_found"
    for action, body in (("complete", {"output": "1"}), ("fail", {"error": {"message": "x"}})):
        response = await http.post(
            f"/api/v1/runs/{staging_run.id}/tasks/{task['id']}/{action}",
            json=body,
            headers={**dev, **SERIALIZED},
        )
        assert response.status_code == 404
        assert response.json()["code"] == "run_not_found"
    assert len(await _rows(db, select(Task))) == 1
    assert (await _task(http, staging_run.id, staging))["status"] == "RUNNING"


async def test_task_routes_need_the_secret_key(
    http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys], run: Run
) -> None:
    public = {"Authorization": f"Bearer {environments['dev'].pk_api_key}"}
    assert (await _run_task(http, run.id, {})).status_code == 401
    assert (await _run_task(http, run.id, public)).status_code == 401


# ------------------------------------------------------------------ callbacks


async def test_callback_with_the_right_secret_completes_and_resumes(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev, callback={"enabled": True, "timeoutInSeconds": 120})
    path = urlsplit(task["callbackUrl"]).path

    wrong = await http.post(path[:-4] + "0000", json={"approved": True})
    assert wrong.status_code == 404
    not_json = await http.post(path, content=b"approved=yes")
    assert not_json.status_code == 400
    assert (await _task(http, run.id, dev))["status"] == "WAITING"

    response = await http.post(path, json={"approved": True, "by": "third-party"})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    done = await _task(http, run.id, dev)
    assert done["status"] == "COMPLETED"
    assert done["output"] == {"approved": True, "by": "third-party"}
    [attempt] = await _rows(db, select(TaskAttempt))
    assert attempt.status is TaskAttemptStatus.COMPLETED

    jobs = await _jobs(db)
    assert [(job["task_name"], job["args"]) for job in jobs] == [
        (RESUME_TASK, {"task_id": task["id"]})
    ]  # the timeout job is gone
    assert jobs[0]["queueing_lock"] == f"resume:{task['id']}"

    late = await http.post(path, json={"again": True})
    assert late.status_code == 200  # already completed: acknowledged, nothing changes
    assert (await _task(http, run.id, dev))["output"] == {"approved": True, "by": "third-party"}


async def test_short_callback_url_and_run_mismatch(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run, endpoint: Endpoint
) -> None:
    task = await _task(http, run.id, dev, callback={"enabled": True})
    secret = task["callbackUrl"].rsplit("/", 1)[1]
    other = await make_run(db, endpoint, status=RunStatus.EXECUTING)
    mismatch = await http.post(
        f"/api/v1/runs/{other.id}/tasks/{task['id']}/callback/{secret}", json={}
    )
    assert mismatch.status_code == 404
    unknown = await http.post(f"/api/v1/tasks/task_nope/callback/{secret}", json={})
    assert unknown.status_code == 404
    response = await http.post(f"/api/v1/tasks/{task['id']}/callback/{secret}", json=[1, 2])
    assert response.status_code == 200, response.text
    assert (await _task(http, run.id, dev))["output"] == [1, 2]


async def test_callback_timeout_errors_a_waiting_task(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _task(http, run.id, dev, callback={"enabled": True, "timeoutInSeconds": 60})
    async with db.transaction() as session:
        assert await time_out_task_callback(session, task["id"]) is True
    timed_out = await _task(http, run.id, dev)
    assert timed_out["status"] == "ERRORED" and timed_out["output"] == CALLBACK_TIMEOUT_OUTPUT
    [attempt] = await _rows(db, select(TaskAttempt))
    assert attempt.status is TaskAttemptStatus.ERRORED
    assert RESUME_TASK in [job["task_name"] for job in await _jobs(db)]

    async with db.transaction() as session:  # a second timeout, or a late callback: no-ops
        assert await time_out_task_callback(session, task["id"]) is False
        secret = task["callbackUrl"].rsplit("/", 1)[1]
        assert await complete_task_by_callback(session, task["id"], secret, {}) is False
        with pytest.raises(NotFound):
            await complete_task_by_callback(session, task["id"], "0" * 24, {})


async def test_the_worker_task_times_out_the_callback(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run, resources: Resources
) -> None:
    task = await _task(http, run.id, dev, callback={"enabled": True, "timeoutInSeconds": 60})
    assert worker_tasks.task_callback_timeout.name == TASK_CALLBACK_TIMEOUT
    context = SimpleNamespace(additional_context={"resources": resources})
    await worker_tasks.task_callback_timeout.func(context, task_id=task["id"])
    assert (await _task(http, run.id, dev))["status"] == "ERRORED"


async def test_run_task_service_without_http(db: Database, run: Run) -> None:
    scope = await scope_of(db, "dev")
    body = RunTaskBody(idempotency_key="svc", noop=True)
    async with raw_transaction(db) as connection:
        result = await run_task(
            connection, scope, run.id, body, callback_base_url="https://x.test/"
        )
        assert result.task["status"] == TaskStatus.COMPLETED and result.task["attempts"] == 1
    async with raw_transaction(db) as connection:
        again = await run_task(connection, scope, run.id, body, callback_base_url="https://x.test")
        assert again.task["id"] == result.task["id"] and again.task["attempts"] == 1
    staging = await scope_of(db, "staging")
    async with raw_transaction(db) as connection:
        with pytest.raises(NotFound):
            await run_task(connection, staging, run.id, body, callback_base_url="https://x.test")
