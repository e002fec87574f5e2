"""Ephemeral event dispatchers: ``io.waitForEvent`` (platform spec §8.4).

The SDK creates a WAITING callback task, then asks for the next event of a name
(and source, filters, account) to be delivered to that task's callback URL. The
dispatcher lives until it has delivered one event or its timeout passes (the expiry
job queued with it); the task's own callback timeout errors the task when no event
came.

A matching event queues the invocation in the transaction that delivers the event.
The invocation POSTs the event to the URL and then deletes the dispatcher, so it
delivers at most once: a dispatcher's invocations share a lock, and a later one
finds it gone. A URL that is one of this server's own callback URLs is completed in
process, in the transaction that deletes the dispatcher, instead of by an HTTP call
to itself (which a worker behind a proxy may not be able to make).
"""

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventDispatcher, EventRecord, ExternalAccount
from kongflow.db.raw import Work
from kongflow.domain.protocol.base import iso
from kongflow.domain.protocol.events import EphemeralDispatcherBody
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound
from kongflow.ids import new_id
from kongflow.resources import Resources
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.tasks.task_callback import complete_task_by_callback, own_callback_target
from kongflow.services.webhook_post import post_json
from kongflow.worker.defer import defer_job
from kongflow.worker.names import EXPIRE_EPHEMERAL_DISPATCHER, INVOKE_EPHEMERAL_DISPATCHER

logger = logging.getLogger(__name__)

POST_TIMEOUT_SECONDS = 30.0


class EventNotDelivered(Exception):
    """The dispatcher's URL did not take the event; the invocation job is retried."""


async def create_ephemeral_dispatcher(
    session: AsyncSession, scope: EnvironmentScope, body: EphemeralDispatcherBody
) -> str:
    """The id of a dispatcher sending the next matching event to ``body.url``; the one
    already made for that URL in this environment, if any."""
    account_id = None
    if body.account_id is not None:
        account_id = await ensure_external_account(session, scope, body.account_id)
    created = None
    while created is None:
        created = await session.scalar(
            insert(EventDispatcher)
            .values(
                id=new_id(EventDispatcher.__id_prefix__),
                event=body.event_names,
                source=body.source,
                payload_filter=body.filter,
                context_filter=body.context_filter,
                manual=False,
                dispatchable_id=body.url,
                dispatchable={"type": "EPHEMERAL", "url": body.url},
                enabled=True,
                environment_id=scope.id,
                external_account_id=account_id,
            )
            .on_conflict_do_nothing(index_elements=["dispatchable_id", "environment_id"])
            .returning(EventDispatcher.id)
        )
        if created is None:  # made before, unless it has been deleted since: then again
            existing = await session.scalar(
                select(EventDispatcher.id).where(
                    EventDispatcher.dispatchable_id == body.url,
                    EventDispatcher.environment_id == scope.id,
                )
            )
            if existing is not None:
                return str(existing)
    await defer_job(
        session,
        EXPIRE_EPHEMERAL_DISPATCHER,
        {"dispatcher_id": created},
        queueing_lock=f"expire:{created}",
        scheduled_at=datetime.now(UTC) + timedelta(seconds=body.timeout_in_seconds),
    )
    return str(created)


async def queue_ephemeral_invocation(work: Work, dispatcher_id: str, event_record_id: str) -> None:
    """Send event ``event_record_id`` to the dispatcher's URL once the caller's
    transaction commits."""
    await defer_job(
        work,
        INVOKE_EPHEMERAL_DISPATCHER,
        {"dispatcher_id": dispatcher_id, "event_record_id": event_record_id},
        lock=f"ephemeral:{dispatcher_id}",
    )


async def invoke_ephemeral_dispatcher(
    resources: Resources, dispatcher_id: str, event_record_id: str
) -> None:
    """Deliver the event to the dispatcher's URL, then delete the dispatcher; nothing
    when the dispatcher is gone (it delivered already or expired) or the event was
    cancelled. Raises EventNotDelivered when the URL refuses it."""
    async with resources.database.transaction() as session:
        found = await _delivery(session, dispatcher_id, event_record_id)
        if found is None:
            return
        url, event = found
        target = own_callback_target(url, resources.settings.base_url)
        if target is not None:
            try:
                await complete_task_by_callback(
                    session, target.task_id, target.secret, event, run_id=target.run_id
                )
            except NotFound:
                logger.warning("ephemeral dispatcher %s: its task is gone", dispatcher_id)
            await expire_ephemeral_dispatcher(session, dispatcher_id)
            return
    failure = await post_json(
        resources.http, url, json.dumps(event).encode(), timeout_seconds=POST_TIMEOUT_SECONDS
    )
    if failure is not None:
        raise EventNotDelivered(failure)
    async with resources.database.transaction() as session:
        await expire_ephemeral_dispatcher(session, dispatcher_id)


async def expire_ephemeral_dispatcher(session: AsyncSession, dispatcher_id: str) -> None:
    """Delete the dispatcher (it delivered its event, or its time is up)."""
    await session.execute(delete(EventDispatcher).where(EventDispatcher.id == dispatcher_id))


async def _delivery(
    session: AsyncSession, dispatcher_id: str, event_record_id: str
) -> tuple[str, dict[str, Any]] | None:
    """The dispatcher's URL and the event as the SDK expects it there, or None."""
    dispatcher = await session.get(EventDispatcher, dispatcher_id, with_for_update=True)
    event = await session.get(EventRecord, event_record_id)
    if dispatcher is None or not dispatcher.enabled or event is None:
        return None
    if event.cancelled_at is not None:
        return None
    body: dict[str, Any] = {
        "id": event.event_id,
        "name": event.name,
        "source": event.source,
        "payload": event.payload,
        "context": event.context,
        "timestamp": iso(event.timestamp),
    }
    if event.external_account_id is not None:
        account = await session.get(ExternalAccount, event.external_account_id)
        if account is not None:
            body["accountId"] = account.identifier
    return str(dispatcher.dispatchable["url"]), body
