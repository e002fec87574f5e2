"""IngestEvent: record an event sent by the SDK and deliver it when it is due.

Idempotent on the caller's event id within the environment: sending the same id
again returns the stored record and triggers nothing more, except that an event
still scheduled at least five seconds ahead is updated and rescheduled (as v2 did).

An event due now is delivered in the same transaction (its runs are created and
their first executions queued before the request returns); a later one gets a
delivery job at its time. v2 always went through a delivery job and then one more
per matching dispatcher.

Every event sent comes through here, so it runs on a plain connection when it can
(no ORM session: about a sixth of an ingest request's CPU). An id sent again, a
dynamic trigger or a job using integrations is written against the ORM: given a
plain connection, those raise ``SessionNeeded`` and the caller starts over in a
session.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventRecord
from kongflow.db.raw import Work, driver_connection, holding, jsonb, session_of
from kongflow.domain.enums import PayloadType
from kongflow.domain.protocol.events import RawEvent, SendEventOptions
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.ids import new_id, new_ulid
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.events.deliver_event import deliver_event
from kongflow.worker.defer import defer_job
from kongflow.worker.names import DELIVER_EVENT

RESCHEDULE_MARGIN = timedelta(seconds=5)

_COLUMNS = (
    "id", "event_id", "name", "payload", "payload_type", "context", "source", "timestamp",
    "deliver_at", "delivered_at", "external_account_id", "environment_id", "organization_id",
    "project_id", "internal", "created_at", "updated_at",
)  # fmt: skip
_INSERT_EVENT = (
    f"INSERT INTO event_records ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_COLUMNS) + 1))}) "
    "ON CONFLICT (event_id, environment_id) DO NOTHING RETURNING id"
)


def _as_parameter(column: str, value: Any) -> Any:
    if column in ("payload", "context"):
        return jsonb(value)
    return value.value if isinstance(value, PayloadType) else value


def delivery_key(event_record_id: str) -> str:
    """The job key of an event's pending delivery (v2's ``event:<id>``)."""
    return f"event:{event_record_id}"


async def ingest_event(
    work: Work,
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
        account_id = await ensure_external_account(work, scope, options.account_id)
    values: dict[str, Any] = {
        "id": new_id(EventRecord.__id_prefix__),
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
        "created_at": now,
        "updated_at": now,
    }
    due = deliver_at <= now
    values["delivered_at"] = now if due else None  # delivered below, in this transaction
    # The hot path of every sendEvent: one plain insert, and the record holds the
    # values it wrote rather than being read back or tracked by the session.
    connection = await driver_connection(work)
    inserted = await connection.fetchval(
        _INSERT_EVENT,
        *(_as_parameter(column, values[column]) for column in _COLUMNS),
    )
    if inserted is None:
        return await _resend(session_of(work), scope, raw, values, deliver_at, now)
    event = holding(
        EventRecord, {**values, "is_test": False, "source_context": None, "cancelled_at": None}
    )
    if due:
        await deliver_event(work, event)
    else:
        await _schedule_delivery(work, event)
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
        await session.flush()
        await _schedule_delivery(session, event)
    return event


async def _schedule_delivery(work: Work, event: EventRecord) -> None:
    await defer_job(
        work,
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
