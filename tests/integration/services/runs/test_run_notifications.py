"""Completion notifications: runs created and executed through the real flow, then
the notification job delivering to a signed webhook (invoke's ``callbackUrl``) and to
the job's endpoint (``RUN_NOTIFICATION``), both served on loopback."""

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kongflow.db.orm import Run, RunSubscription, Task
from kongflow.db.session import Database
from kongflow.domain.enums import (
    RunStatus,
    RunSubscriptionEvent,
    RunSubscriptionRecipientMethod,
    RunSubscriptionStatus,
    TaskStatus,
)
from kongflow.resources import Resources
from kongflow.services.jobs.invoke_job import invoke_job
from kongflow.services.runs.deliver_run_subscriptions import (
    NotificationsUndelivered,
    deliver_run_subscriptions,
)
from kongflow.services.runs.run_context import read_run_context
from kongflow.services.runs.run_notification import build_run_notification
from kongflow.worker.names import DELIVER_RUN_SUBSCRIPTIONS
from tests.support.fake_endpoint import FakeEndpoint
from tests.support.http import serve_app
from tests.support.jobs import job_metadata, scope_of
from tests.support.tenancy import EnvironmentKeys

Drain = Callable[[], Awaitable[None]]

SUBSCRIBE_BOTH = {
    "x-trigger-run-metadata": '{"successSubscription":true,"failedSubscription":true}'
}
NOTIFY_JOB = job_metadata(
    "notify",
    trigger={
        "type": "static",
        "title": "notify.me",
        "rule": {"event": "notify.me", "source": "trigger.dev"},
    },
)


@dataclass
class NotifiedEndpoint(FakeEndpoint):
    """The scriptable endpoint, also keeping the RUN_NOTIFICATION bodies it receives."""

    notifications: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        if request.headers.get("x-trigger-action") == "RUN_NOTIFICATION":
            self.notifications.append(json.loads(await request.body()))
        return await super().handle(request)


@dataclass
class WebhookReceiver:
    """A callbackUrl receiver: records raw bodies and headers, answers ``status``."""

    url: str = ""
    status: int = 200
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append((await request.body(), dict(request.headers)))
        return Response(b"", self.status)


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    async with serve_app(app) as base:
        receiver.url = f"{base}/hook"
        yield receiver


@pytest.fixture
def dev_key(environments: dict[str, EnvironmentKeys]) -> str:
    return environments["dev"].api_key


@pytest.fixture
async def endpoint(
    dev_key: str, http: httpx.AsyncClient, drain_queue: Drain
) -> AsyncIterator[NotifiedEndpoint]:
    """The endpoint ``my-app`` declaring job ``notify``, registered and indexed."""
    fake = NotifiedEndpoint(endpoint_id="my-app", api_key=dev_key)
    app = Starlette(routes=[Route("/api/trigger", fake.handle, methods=["POST"])])
    async with serve_app(app) as base:
        fake.url = f"{base}/api/trigger"
        fake.index_jobs([NOTIFY_JOB])
        fake.answer(
            "EXECUTE_JOB", json_body={"status": "SUCCESS", "output": {"ok": True}}, headers={}
        )
        fake.answer("RUN_NOTIFICATION", json_body={"ok": True})
        created = await http.post(
            "/api/v1/endpoints",
            json={"id": "my-app", "url": fake.url},
            headers={"Authorization": f"Bearer {dev_key}"},
        )
        assert created.status_code == 200, created.text
        await drain_queue()
        fake.requests.clear()
        yield fake


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as hook:
        yield hook


async def _invoke(db: Database, callback_url: str | None, **options: Any) -> str:
    scope = await scope_of(db)
    async with db.transaction() as session:
        return await invoke_job(
            session,
            scope,
            "notify",
            payload={"fail": False},
            context={"via": "test"},
            account_id=options.get("account_id"),
            callback_url=callback_url,
            idempotency_key=options.get("idempotency_key"),
        )


async def _send_event(http: httpx.AsyncClient, dev_key: str, event_id: str) -> None:
    sent = await http.post(
        "/api/v1/events",
        json={"event": {"id": event_id, "name": "notify.me", "payload": {"fail": True}}},
        headers={"Authorization": f"Bearer {dev_key}"},
    )
    assert sent.status_code == 200, sent.text


async def _the_run(db: Database) -> Run:
    async with db.transaction() as session:
        return (await session.scalars(select(Run))).one()


async def _subscriptions(db: Database) -> dict[tuple[str, str], RunSubscription]:
    async with db.transaction() as session:
        rows = await session.scalars(select(RunSubscription))
        return {(row.recipient_method.value, row.event.value): row for row in rows}


async def _notification_jobs(db: Database) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT status::text AS status, attempts, scheduled_at FROM procrastinate_jobs "
                "WHERE task_name = :name ORDER BY id"
            ),
            {"name": DELIVER_RUN_SUBSCRIPTIONS},
        )
        return [dict(row._mapping) for row in rows]


def _signature(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


async def test_a_successful_run_notifies_its_webhook_and_its_endpoint(
    db: Database,
    resources: Resources,
    dev_key: str,
    endpoint: NotifiedEndpoint,
    receiver: WebhookReceiver,
    drain_queue: Drain,
) -> None:
    endpoint.answer(
        "EXECUTE_JOB",
        json_body={"status": "SUCCESS", "output": {"ok": True}},
        headers=SUBSCRIBE_BOTH,
    )
    run_id = await _invoke(db, receiver.url, account_id="user-42", idempotency_key="inv-1")
    await drain_queue()  # executes the run; finishing it queues the notifications
    await drain_queue()  # delivers them (a no-op if the first pass already did)

    run = await _the_run(db)
    assert run.id == run_id and run.status == RunStatus.SUCCESS

    [(raw, headers)] = receiver.received
    assert headers["content-type"] == "application/json"
    assert headers["x-trigger-signature-256"] == _signature(raw, dev_key)
    body = json.loads(raw)
    assert body["ok"] is True and body["status"] == "SUCCESS" and body["id"] == run_id
    assert body["output"] == {"ok": True} and "error" not in body and "task" not in body
    assert body["job"] == {"id": "notify", "version": "1.0.0"}
    assert body["environment"]["slug"] == "dev" and body["environment"]["type"] == "DEVELOPMENT"
    assert set(body["organization"]) == {"id", "slug", "title"}
    assert set(body["project"]) == {"id", "slug", "name"}
    assert body["account"] == {"id": "user-42", "metadata": None}
    assert body["invocation"]["id"] == "inv-1"
    assert body["invocation"]["payload"] == {"fail": False}
    assert body["invocation"]["context"] == {"via": "test"}
    assert body["invocation"]["timestamp"].endswith("Z")
    assert body["completedAt"].endswith("Z") and body["startedAt"].endswith("Z")
    assert body["executionCount"] == 1 and body["isTest"] is False
    assert body["statuses"] == []

    notified = [r for r in endpoint.requests if r["action"] == "RUN_NOTIFICATION"]
    assert len(notified) == 1
    assert notified[0]["headers"]["x-trigger-api-key"] == dev_key
    [sent] = endpoint.notifications
    assert sent == body  # one RunNotification for every subscriber

    subscriptions = await _subscriptions(db)
    assert len(subscriptions) == 4
    for (_method, event), row in subscriptions.items():
        assert row.status == RunSubscriptionStatus.ACTIVE
        # Only the outcome that happened is delivered; FAILURE ones stay as they were.
        assert (row.delivered_at is not None) == (event == RunSubscriptionEvent.SUCCESS)
    assert await _notification_jobs(db) == []  # done: a succeeded job is not kept

    # Delivered subscriptions are never delivered again.
    again = await deliver_run_subscriptions(resources, run_id)
    assert again.delivered == [] and again.failed == {}
    assert len(receiver.received) == 1 and len(endpoint.notifications) == 1


async def test_a_failed_run_tells_the_endpoint_with_ok_false(
    db: Database,
    resources: Resources,
    http: httpx.AsyncClient,
    dev_key: str,
    endpoint: NotifiedEndpoint,
    drain_queue: Drain,
) -> None:
    endpoint.answer(
        "EXECUTE_JOB",
        json_body={"status": "ERROR", "error": {"message": "boom"}},
        headers=SUBSCRIBE_BOTH,
    )
    await _send_event(http, dev_key, "evt_notify")
    await drain_queue()
    await drain_queue()

    run = await _the_run(db)
    assert run.status == RunStatus.FAILURE
    [sent] = endpoint.notifications
    assert sent["ok"] is False and sent["status"] == "FAILURE" and sent["id"] == run.id
    assert sent["error"]["message"] == "boom"
    assert "output" not in sent and "task" not in sent  # no task errored
    assert sent["invocation"]["id"] == "evt_notify"
    assert sent["invocation"]["payload"] == {"fail": True}

    subscriptions = await _subscriptions(db)
    assert set(subscriptions) == {("ENDPOINT", "SUCCESS"), ("ENDPOINT", "FAILURE")}
    assert subscriptions["ENDPOINT", "FAILURE"].delivered_at is not None
    assert subscriptions["ENDPOINT", "SUCCESS"].delivered_at is None

    # The failure notification names the task that errored last.
    async with db.transaction() as session:
        session.add_all(
            [
                Task(
                    run_id=run.id,
                    idempotency_key="key-old",
                    display_key="fetch-old",
                    name="Old",
                    status=TaskStatus.ERRORED,
                    output={"message": "old"},
                    started_at=run.started_at,
                ),
                Task(
                    run_id=run.id,
                    idempotency_key="key-new",
                    display_key="fetch-new",
                    name="New",
                    icon="fetch",
                    status=TaskStatus.ERRORED,
                    output={"message": "new"},
                    params={"url": "https://example.com"},
                    started_at=run.completed_at,
                ),
            ]
        )
    async with db.transaction() as session:
        context = await read_run_context(session, run.id)
    assert context is not None
    async with db.transaction() as session:
        notification = await build_run_notification(session, context)
    assert notification["task"] == {
        "id": "key-new",
        "cacheKey": "fetch-new",
        "status": "ERRORED",
        "name": "New",
        "icon": "fetch",
        "startedAt": notification["completedAt"],
        "error": {"message": "new"},
        "params": {"url": "https://example.com"},
    }


async def test_a_subscriber_answering_500_stays_undelivered_and_the_job_retries(
    db: Database,
    resources: Resources,
    dev_key: str,
    endpoint: NotifiedEndpoint,
    receiver: WebhookReceiver,
    drain_queue: Drain,
) -> None:
    endpoint.answer(
        "EXECUTE_JOB",
        json_body={"status": "SUCCESS", "output": {"ok": True}},
        headers=SUBSCRIBE_BOTH,
    )
    receiver.status = 500
    run_id = await _invoke(db, receiver.url)
    await drain_queue()  # executes the run
    await drain_queue()  # tries the notifications once

    subscriptions = await _subscriptions(db)
    assert subscriptions["WEBHOOK", "SUCCESS"].delivered_at is None
    assert subscriptions["ENDPOINT", "SUCCESS"].delivered_at is not None
    assert len(receiver.received) == 1 and len(endpoint.notifications) == 1
    [job] = await _notification_jobs(db)
    assert job["status"] == "todo" and job["attempts"] == 1  # waiting for its retry

    with pytest.raises(NotificationsUndelivered) as raised:
        await deliver_run_subscriptions(resources, run_id)
    report = raised.value.report
    assert report.delivered == [] and list(report.failed) == [
        subscriptions["WEBHOOK", "SUCCESS"].id
    ]
    assert "HTTP 500" in report.failed[subscriptions["WEBHOOK", "SUCCESS"].id]

    # The receiver recovers; the retry delivers only what was left.
    receiver.status = 204
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE task_name = :name"),
            {"name": DELIVER_RUN_SUBSCRIPTIONS},
        )
    await drain_queue()
    subscriptions = await _subscriptions(db)
    assert subscriptions["WEBHOOK", "SUCCESS"].delivered_at is not None
    assert len(receiver.received) == 3 and len(endpoint.notifications) == 1
    assert await _notification_jobs(db) == []  # the retry succeeded
    raw, headers = receiver.received[-1]
    assert headers["x-trigger-signature-256"] == _signature(raw, dev_key)


async def test_an_unreachable_endpoint_fails_the_delivery(
    db: Database,
    resources: Resources,
    endpoint: NotifiedEndpoint,
    drain_queue: Drain,
) -> None:
    endpoint.answer(
        "EXECUTE_JOB",
        json_body={"status": "SUCCESS", "output": None},
        headers=SUBSCRIBE_BOTH,
    )
    endpoint.answer("RUN_NOTIFICATION", status=503, json_body={"message": "down"})
    run_id = await _invoke(db, None)
    await drain_queue()

    with pytest.raises(NotificationsUndelivered) as raised:
        await deliver_run_subscriptions(resources, run_id)
    [reason] = raised.value.report.failed.values()
    assert "503" in reason
    subscriptions = await _subscriptions(db)
    assert all(row.delivered_at is None for row in subscriptions.values())


async def test_an_endpoint_subscription_for_another_endpoint_is_not_called(
    db: Database,
    resources: Resources,
    endpoint: NotifiedEndpoint,
    drain_queue: Drain,
) -> None:
    run_id = await _invoke(db, None)
    await drain_queue()
    assert (await _the_run(db)).status == RunStatus.SUCCESS
    async with db.transaction() as session:
        stray = RunSubscription(
            run_id=run_id,
            recipient="endpoint_someone_else",
            recipient_method=RunSubscriptionRecipientMethod.ENDPOINT,
            event=RunSubscriptionEvent.SUCCESS,
        )
        session.add(stray)
    report = await deliver_run_subscriptions(resources, run_id)
    assert report.skipped == [stray.id] and report.delivered == []
    assert endpoint.notifications == []
    assert (await _subscriptions(db))["ENDPOINT", "SUCCESS"].delivered_at is not None
