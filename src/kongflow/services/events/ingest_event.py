"""IngestEvent: record an event sent by the SDK and deliver it when it is due.

Idempotent on the caller's event id within the environment: sending the same id
again returns the stored record and triggers nothing more, except that an event
still scheduled at least five seconds ahead is updated and rescheduled (as v2 did).

An event due now is delivered in the same transaction (its runs are created and
their first executions queued before the request returns); a later one gets a
delivery job at its time. v2 always went through a delivery job and then one more
per matching dispatcher.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from kongflow.db.orm import EventRecord
from kongflow.domain.enums import PayloadType
from kongflow.domain.protocol.events import RawEvent, SendEventOptions
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.ids import new_id, new_ulid
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.events.deliver_event import deliver_event
from kongflow.worker.defer import defer_job
from kongflow.worker.names import DELIVER_EVENT

RESCHEDULE_MARGIN = timedelta(seconds=5)

# Built once: constructing the statement per event cost more than executing it.
_INSERT_EVENT = (
    insert(EventRecord.__table__)  # type: ignore[arg-type]
    .on_conflict_do_nothing(index_elements=["event_id", "environment_id"])
    .returning(EventRecord.__table__.c.id)
)


def delivery_key(event_record_id: str) -> str:
    """The job key of an event's pending delivery (v2's ``event:<id>``)."""
    return f"event:{event_record_id}"


async def ingest_event(
    session: AsyncSession,
    scope: EnvironmentScope,
    raw: RawEvent,
    options: SendEventOptions,
    *,
    internal: bool = False,
) -> EventRecord:
    """Store ``raw`` (or find it by id) and deliver or schedule it."""
    now = datetime.now(UTC)
    deliver_at = options.deliver_at or (
        now + timedelta(seconds=options.deliver_after) if options.deliver_after else now
    )
    account_id = None
    if options.account_id:
        account_id = await ensure_external_account(session, scope, options.account_id)
    values: dict[str, Any] = {
        "id": new_id("evt"),
        "event_id": raw.id or new_ulid(),
        "name": raw.name,
        "payload": raw.payload if raw.payload is not None else {},
        "payload_type": PayloadType(raw.payload_type or "JSON"),
        "context": raw.context if raw.context is not None else {},
        "source": raw.source or "trigger.dev",
        "timestamp": raw.timestamp or now,
        "deliver_at": deliver_at,
        "external_account_id": account_id,
        "environment_id": scope.id,
        "organization_id": scope.organization_id,
        "project_id": scope.project_id,
        "internal": internal,
        "is_test": False,
        "source_context": None,
        "http_endpoint_id": None,
        "http_endpoint_environment_id": None,
        "cancelled_at": None,
    }
    due = deliver_at <= now
    values["delivered_at"] = now if due else None  # delivered below, in this transaction
    values["created_at"] = values["updated_at"] = now
    # The hot path of every sendEvent: a Core insert, and the row is then attached to
    # the session as it was written, instead of an ORM round trip of the same data
    # (measured: half the cost of ingesting an event nobody listens to).
    connection = await session.connection()
    inserted = await connection.scalar(_INSERT_EVENT, values)
    if inserted is None:
        return await _resend(session, scope, raw, values, deliver_at, now)
    event = EventRecord(**values)
    make_transient_to_detached(event)
    session.add(event)
    if due:
        await deliver_event(session, event)
    else:
        await _schedule_delivery(session, event)
    return event


async def _resend(
    session: AsyncSession,
    scope: EnvironmentScope,
    raw: RawEvent,
    values: dict[str, Any],
    deliver_at: datetime,
    now: datetime,
) -> EventRecord:
    """The id was sent before: return that event, rescheduling it if still far ahead."""
    event = (
        await session.scalars(
            select(EventRecord)
            .where(
                EventRecord.event_id == values["event_id"], EventRecord.environment_id == scope.id
            )
            .with_for_update()
        )
    ).one()
    if (
        event.delivered_at is None
        and event.cancelled_at is None
        and event.deliver_at >= now + RESCHEDULE_MARGIN
    ):
        if raw.payload is not None:
            event.payload = values["payload"]
        if raw.context is not None:
            event.context = values["context"]
        event.deliver_at = deliver_at
        await _schedule_delivery(session, event)
    return event


async def _schedule_delivery(session: AsyncSession, event: EventRecord) -> None:
    await session.flush()
    await defer_job(
        session,
        DELIVER_EVENT,
        {"event_record_id": event.id},
        queueing_lock=delivery_key(event.id),
        replace=True,
        scheduled_at=event.deliver_at,
    )


async def deliver_scheduled_event(session: AsyncSession, event_record_id: str) -> None:
    """The delivery job of an event sent for later: deliver it unless it was cancelled
    or already delivered."""
    event = await session.scalar(
        select(EventRecord).where(EventRecord.id == event_record_id).with_for_update()
    )
    if event is not None and event.delivered_at is None and event.cancelled_at is None:
        await deliver_event(session, event)
