"""DeliverRunSubscriptions: tell a finished run's subscribers how it ended (platform §5.10).

FinishRun queues this whenever a run reaches a final status with subscriptions still
to deliver. The subscriptions that apply are the ACTIVE, undelivered ones for the
outcome (``SUCCESS`` when the run succeeded, ``FAILURE`` for every other final
status); those for the other outcome are left as they are, as v2 did, so a run that
is continued after failing and then succeeds still notifies its SUCCESS subscribers.

Each subscriber gets the same RunNotification (``build_run_notification``):

* WEBHOOK (invoke's ``callbackUrl``): ``POST`` of the JSON with
  ``X-Trigger-Signature-256``, the hex HMAC-SHA256 of the exact body bytes keyed by
  the environment's secret API key, so the receiver can check who sent it;
* ENDPOINT (the job's ``onSuccess`` / ``onFailure``): ``RUN_NOTIFICATION`` to the
  run's endpoint. A subscription naming another endpoint is marked delivered without
  a call, as v2 did: only the run's own endpoint has the handlers.

Reading happens in one short transaction, each delivery is recorded in its own, and
no transaction is open during an HTTP call. A subscriber that does not answer 2xx
stays undelivered; once every subscriber has been tried, :class:`NotificationsUndelivered`
is raised so the worker job is retried, and the retry skips what was delivered.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from kongflow.db.orm import RunSubscription
from kongflow.domain.enums import (
    RunStatus,
    RunSubscriptionEvent,
    RunSubscriptionRecipientMethod,
    RunSubscriptionStatus,
)
from kongflow.domain.states import FINISHED_RUN_STATUSES
from kongflow.resources import Resources
from kongflow.services.endpoints.endpoint_api import EndpointApi, EndpointError
from kongflow.services.environments.environment_api_key import decrypt_api_key
from kongflow.services.runs.run_context import read_run_context
from kongflow.services.runs.run_notification import build_run_notification
from kongflow.services.webhook_post import post_json

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-Trigger-Signature-256"


@dataclass
class DeliveryReport:
    """What one pass did, by subscription id: sent and acknowledged, marked delivered
    without a call (ENDPOINT subscriptions of another endpoint), or failed (why)."""

    run_id: str
    delivered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class NotificationsUndelivered(Exception):
    """Some subscribers could not be told; the job should be tried again."""

    def __init__(self, report: DeliveryReport) -> None:
        reasons = "; ".join(f"{sub}: {reason}" for sub, reason in report.failed.items())
        super().__init__(f"run {report.run_id}: {len(report.failed)} undelivered ({reasons})")
        self.report = report


@dataclass(frozen=True)
class _Subscriber:
    id: str
    method: RunSubscriptionRecipientMethod
    recipient: str


@dataclass(frozen=True)
class _Pending:
    """What the deliveries need, read in one transaction."""

    subscribers: list[_Subscriber]
    notification: dict[str, Any]
    api_key: str
    endpoint_id: str
    endpoint_url: str


def sign_notification(body: bytes, api_key: str) -> str:
    """The ``X-Trigger-Signature-256`` value for ``body``: hex HMAC-SHA256 keyed by
    the environment's secret API key."""
    return hmac.new(api_key.encode(), body, hashlib.sha256).hexdigest()


async def deliver_run_subscriptions(resources: Resources, run_id: str) -> DeliveryReport:
    """Notify the subscribers of finished run ``run_id`` that are still waiting.

    Returns what was delivered; raises :class:`NotificationsUndelivered` (after
    trying everyone) when any subscriber failed.
    """
    report = DeliveryReport(run_id=run_id)
    pending = await _read_pending(resources, run_id)
    if pending is None:
        return report
    # The webhook signature covers these exact bytes, so they are encoded once.
    body = json.dumps(pending.notification, ensure_ascii=False, separators=(",", ":")).encode()
    signature = sign_notification(body, pending.api_key)
    for subscriber in pending.subscribers:
        if subscriber.method == RunSubscriptionRecipientMethod.ENDPOINT:
            if subscriber.recipient != pending.endpoint_id:
                await _mark_delivered(resources, subscriber.id)
                report.skipped.append(subscriber.id)
                continue
            failure = await _notify_endpoint(resources, pending)
        else:
            failure = await post_json(
                resources.http,
                subscriber.recipient,
                body,
                timeout_seconds=WEBHOOK_TIMEOUT_SECONDS,
                headers={SIGNATURE_HEADER: signature},
            )
        if failure is None:
            await _mark_delivered(resources, subscriber.id)
            report.delivered.append(subscriber.id)
        else:
            logger.warning(
                "run %s: notification %s not delivered: %s", run_id, subscriber.id, failure
            )
            report.failed[subscriber.id] = failure
    if report.failed:
        raise NotificationsUndelivered(report)
    return report


async def _read_pending(resources: Resources, run_id: str) -> _Pending | None:
    async with resources.database.transaction() as session:
        context = await read_run_context(session, run_id)
        if context is None or context.run.status not in FINISHED_RUN_STATUSES:
            return None
        run = context.run
        outcome = (
            RunSubscriptionEvent.SUCCESS
            if run.status == RunStatus.SUCCESS
            else RunSubscriptionEvent.FAILURE
        )
        rows = await session.scalars(
            select(RunSubscription)
            .where(
                RunSubscription.run_id == run.id,
                RunSubscription.event == outcome,
                RunSubscription.status == RunSubscriptionStatus.ACTIVE,
                RunSubscription.delivered_at.is_(None),
            )
            .order_by(RunSubscription.created_at, RunSubscription.id)
        )
        subscribers = [_Subscriber(row.id, row.recipient_method, row.recipient) for row in rows]
        if not subscribers:
            return None
        return _Pending(
            subscribers=subscribers,
            notification=await build_run_notification(session, context),
            api_key=decrypt_api_key(resources.key, context.environment),
            endpoint_id=context.endpoint.id,
            endpoint_url=context.endpoint.url,
        )


async def _notify_endpoint(resources: Resources, pending: _Pending) -> str | None:
    api = EndpointApi(resources.http, pending.endpoint_url, pending.api_key)
    try:
        await api.run_notification(pending.notification)
    except EndpointError as exc:
        return exc.message
    return None


async def _mark_delivered(resources: Resources, subscription_id: str) -> None:
    async with resources.database.transaction() as session:
        await session.execute(
            update(RunSubscription)
            .where(RunSubscription.id == subscription_id, RunSubscription.delivered_at.is_(None))
            .values(delivered_at=datetime.now(UTC))
        )
