"""``io.waitForEvent``: an ephemeral dispatcher hands the next matching event to a
waiting callback task (platform spec §8.4, ``runs/wait-for-event``), over real HTTP
against real PostgreSQL."""

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kongflow.db.orm import EventDispatcher, Run, Task
from kongflow.db.session import Database
from kongflow.domain.enums import TaskStatus
from kongflow.resources import Resources
from kongflow.services.events.ephemeral_dispatcher import (
    EventNotDelivered,
    expire_ephemeral_dispatcher,
    invoke_ephemeral_dispatcher,
)
from kongflow.worker.names import (
    EXPIRE_EPHEMERAL_DISPATCHER,
    INVOKE_EPHEMERAL_DISPATCHER,
    RESUME_TASK,
)
from tests.support.http import serve_app
from tests.support.tenancy import EnvironmentKeys

KEY = "6e042667ace5eb3e46be9376e465f088a935766bd1199d133de7e1aeb931a204"
DISPATCHERS = "/api/v1/event-dispatchers/ephemeral"


async def _waiting_task(http: httpx.AsyncClient, run: Run, auth: dict[str, str]) -> Any:
    """The task io.waitForEvent creates before it asks for the dispatcher."""
    response = await http.post(
        f"/api/v1/runs/{run.id}/tasks",
        json={
            "idempotencyKey": KEY,
            "displayKey": "wait-evt",
            "noop": False,
            "name": "Wait for Event",
            "params": {"name": "approval.granted", "source": "acceptance"},
            "callback": {"enabled": True, "timeoutInSeconds": 120},
        },
        headers={**auth, "Idempotency-Key": KEY, "Trigger-Version": "2023-09-29"},
    )
    assert response.status_code == 200, response.text
    return response.json()["task"]


async def _send(http: httpx.AsyncClient, auth: dict[str, str], event_id: str, order: str) -> None:
    event = {
        "id": event_id,
        "name": "approval.granted",
        "source": "acceptance",
        "payload": {"orderId": order, "by": "ops"},
    }
    response = await http.post("/api/v1/events", json={"event": event}, headers=auth)
    assert response.status_code == 200, response.text


async def _jobs(db: Database, task_name: str) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = :t"),
            {"t": task_name},
        )
        return [dict(row._mapping) for row in rows]


async def _dispatchers(db: Database) -> list[str]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(EventDispatcher.id).where(
                    EventDispatcher.dispatchable["type"].as_string() == "EPHEMERAL"
                )
            )
        )


async def test_the_next_matching_event_completes_the_waiting_task_once(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run, resources: Resources
) -> None:
    task = await _waiting_task(http, run, dev)
    body = {
        "url": task["callbackUrl"],
        "name": "approval.granted",
        "source": "acceptance",
        "filter": {"orderId": ["o-1"]},
        "timeoutInSeconds": 120,
    }
    created = await http.post(DISPATCHERS, json=body, headers=dev)
    assert created.status_code == 200, created.text
    dispatcher_id = created.json()["id"]
    again = await http.post(DISPATCHERS, json=body, headers=dev)
    assert again.json() == {"id": dispatcher_id}  # one dispatcher per callback URL
    [expiry] = await _jobs(db, EXPIRE_EPHEMERAL_DISPATCHER)
    assert expiry["args"] == {"dispatcher_id": dispatcher_id}

    await _send(http, dev, "evt_other_order", "o-2")  # the filter rejects it
    await _send(http, dev, "evt_approval", "o-1")
    await _send(http, dev, "evt_approval_2", "o-1")
    invocations = await _jobs(db, INVOKE_EPHEMERAL_DISPATCHER)
    assert len(invocations) == 2  # both matched; only the first is delivered
    for invocation in invocations:
        await invoke_ephemeral_dispatcher(resources, **invocation["args"])

    async with db.transaction() as session:
        done = await session.get_one(Task, task["id"])
    assert done.status is TaskStatus.COMPLETED
    assert done.output["id"] == "evt_approval"
    assert done.output["payload"] == {"orderId": "o-1", "by": "ops"}
    assert (done.output["name"], done.output["source"]) == ("approval.granted", "acceptance")
    assert done.output["timestamp"].endswith("Z")
    assert await _dispatchers(db) == []
    [resume] = await _jobs(db, RESUME_TASK)  # the run goes on with the event
    assert resume["args"] == {"task_id": task["id"]}


async def test_an_event_for_a_foreign_url_is_posted_and_retried_while_refused(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], resources: Resources
) -> None:
    received: list[Any] = []
    status = {"code": 503}

    async def hook(request: Request) -> Response:
        received.append(json.loads(await request.body()))
        return Response(status_code=status["code"])

    async with serve_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as url:
        body = {
            "url": f"{url}/hook",
            "name": ["approval.granted", "approval.denied"],
            "source": "acceptance",
        }
        created = await http.post(DISPATCHERS, json=body, headers=dev)
        assert created.status_code == 200, created.text
        await _send(http, dev, "evt_foreign", "o-9")
        [invocation] = await _jobs(db, INVOKE_EPHEMERAL_DISPATCHER)
        with pytest.raises(EventNotDelivered):
            await invoke_ephemeral_dispatcher(resources, **invocation["args"])
        assert await _dispatchers(db) == [created.json()["id"]]  # kept for the retry
        status["code"] = 200
        await invoke_ephemeral_dispatcher(resources, **invocation["args"])
    assert [event["id"] for event in received] == ["evt_foreign", "evt_foreign"]
    assert await _dispatchers(db) == []


async def test_an_expired_dispatcher_delivers_nothing(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], run: Run
) -> None:
    task = await _waiting_task(http, run, dev)
    body = {"url": task["callbackUrl"], "name": "approval.granted", "source": "acceptance"}
    created = await http.post(DISPATCHERS, json=body, headers=dev)
    async with db.transaction() as session:
        await expire_ephemeral_dispatcher(session, created.json()["id"])
    await _send(http, dev, "evt_late", "o-1")
    assert await _jobs(db, INVOKE_EPHEMERAL_DISPATCHER) == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "approval.granted"},  # no url
        {"url": "ftp://example.com/x", "name": "approval.granted"},
        {"url": "http://example.com/x", "name": []},
        {"url": "http://example.com/x", "name": "a", "timeoutInSeconds": 5},
        {"url": "http://example.com/x", "name": "a", "timeoutInSeconds": 31_536_001},
        {"url": "http://example.com/x", "name": "a", "filter": {"orderId": 5}},
        {"url": "http://example.com/x", "name": "a", "contextFilter": {"k": [{"$nope": 1}]}},
        {"url": "http://example.com/x", "name": "a\u0000"},
        {"url": "http://example.com/x", "name": "a", "accountId": "acct\u0000"},
    ],
)
async def test_malformed_dispatcher_bodies_are_422(
    db: Database, http: httpx.AsyncClient, dev: dict[str, str], body: dict[str, Any]
) -> None:
    response = await http.post(DISPATCHERS, json=body, headers=dev)
    assert response.status_code == 422, response.text
    assert await _dispatchers(db) == []


async def test_creating_a_dispatcher_needs_the_secret_key(
    http: httpx.AsyncClient, environments: dict[str, EnvironmentKeys]
) -> None:
    body = {"url": "http://example.com/x", "name": "a"}
    public = {"Authorization": f"Bearer {environments['dev'].pk_api_key}"}
    assert (await http.post(DISPATCHERS, json=body)).status_code == 401
    assert (await http.post(DISPATCHERS, json=body, headers=public)).status_code == 401
