"""Register a schedule (a cron or interval firing a manual dispatcher), or stop one.

Two kinds share this: a scheduled job's own schedule, keyed by the job's id and
registered when the endpoint is indexed, and the registrations of a dynamic
schedule, keyed by the id the SDK gives (``dynamicSchedule.register(key, …)``,
platform spec §7.5), which fire every job attached to that dynamic schedule with
``source = {id: key, metadata}``. Keys are unique per environment, so a
registration may not take a key another schedule holds.

Unlike v2, schedules are active in development environments too: a developer
defining a cron job expects it to fire.
"""

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import DynamicTrigger, EventDispatcher, ScheduleSource
from kongflow.db.upsert import upsert
from kongflow.domain.enums import DynamicTriggerType
from kongflow.domain.protocol.index import ScheduleMetadata
from kongflow.domain.schedules import next_tick
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound, ValidationFailed
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.endpoints.find_endpoint import find_endpoint
from kongflow.services.schedules.schedule_ticks import queue_next_tick, tick_key
from kongflow.worker.defer import cancel_waiting_job


async def register_schedule(
    session: AsyncSession,
    key: str,
    dispatcher: EventDispatcher,
    schedule: ScheduleMetadata,
    *,
    dynamic_trigger_id: str | None = None,
    external_account_id: str | None = None,
) -> ScheduleSource:
    """Create or update schedule ``key`` of the dispatcher's environment, firing
    ``dispatcher``, and queue its next tick (counted on from its last one).

    A registration of ``dynamic_trigger_id`` may only update its own: ValidationFailed
    (``schedule_key_in_use``) when another schedule holds ``key``.
    """
    stored = {"type": schedule.type, "options": schedule.options.model_dump(mode="json")}
    existing = await session.scalar(
        select(ScheduleSource).where(
            ScheduleSource.key == key, ScheduleSource.environment_id == dispatcher.environment_id
        )
    )
    if (
        dynamic_trigger_id is not None
        and existing is not None
        and existing.dynamic_trigger_id != dynamic_trigger_id
    ):
        raise ValidationFailed(
            f"The schedule key {key!r} is used by another schedule of this environment.",
            code="schedule_key_in_use",
        )
    now = datetime.now(UTC)
    base = (existing.last_event_timestamp if existing else None) or now
    source = await upsert(
        session,
        ScheduleSource,
        {
            "key": key,
            "environment_id": dispatcher.environment_id,
            "dispatcher_id": dispatcher.id,
            "schedule": stored,
            "metadata_": schedule.metadata,
            "active": True,
            "next_event_timestamp": next_tick(stored, after=base, now=now),
            "dynamic_trigger_id": dynamic_trigger_id,
            "external_account_id": external_account_id,
        },
        key=["key", "environment_id"],
        update=[
            "dispatcher_id",
            "schedule",
            "metadata",
            "active",
            "next_event_timestamp",
            "dynamic_trigger_id",
            "external_account_id",
        ],
    )
    await queue_next_tick(session, source)
    return source


async def deactivate_schedule(
    session: AsyncSession, key: str, environment_id: str, *, dynamic_trigger_id: str | None = None
) -> None:
    """Stop schedule ``key`` (only a registration of ``dynamic_trigger_id``, when given)
    and drop its pending tick."""
    stop = (
        update(ScheduleSource)
        .where(ScheduleSource.key == key, ScheduleSource.environment_id == environment_id)
        .values(active=False, next_event_timestamp=None)
        .returning(ScheduleSource.id)
    )
    if dynamic_trigger_id is not None:
        stop = stop.where(ScheduleSource.dynamic_trigger_id == dynamic_trigger_id)
    for source_id in await session.scalars(stop):
        await cancel_waiting_job(session, tick_key(source_id))


async def register_dynamic_schedule(
    session: AsyncSession,
    scope: EnvironmentScope,
    endpoint_slug: str,
    schedule_id: str,
    key: str,
    schedule: ScheduleMetadata,
) -> ScheduleSource:
    """Register ``key`` of dynamic schedule ``schedule_id`` (declared by endpoint
    ``endpoint_slug``). Raises NotFound (``endpoint_not_found``,
    ``dynamic_schedule_not_found``) and ValidationFailed (``schedule_key_in_use``)."""
    trigger, dispatcher = await _dynamic_schedule(session, scope, endpoint_slug, schedule_id)
    account_id = None
    if schedule.account_id is not None:
        account_id = await ensure_external_account(session, scope, schedule.account_id)
    return await register_schedule(
        session,
        key,
        dispatcher,
        schedule,
        dynamic_trigger_id=trigger.id,
        external_account_id=account_id,
    )


async def unregister_dynamic_schedule(
    session: AsyncSession, scope: EnvironmentScope, endpoint_slug: str, schedule_id: str, key: str
) -> None:
    """Stop registration ``key`` of dynamic schedule ``schedule_id`` (nothing when there
    is none). Raises NotFound as :func:`register_dynamic_schedule`."""
    trigger, _ = await _dynamic_schedule(session, scope, endpoint_slug, schedule_id)
    if "\x00" not in key:  # no key holds NUL (PostgreSQL refuses it in a parameter)
        await deactivate_schedule(session, key, scope.id, dynamic_trigger_id=trigger.id)


async def _dynamic_schedule(
    session: AsyncSession, scope: EnvironmentScope, endpoint_slug: str, schedule_id: str
) -> tuple[DynamicTrigger, EventDispatcher]:
    endpoint = await find_endpoint(session, scope, endpoint_slug)
    trigger = None
    if "\x00" not in schedule_id:
        trigger = await session.scalar(
            select(DynamicTrigger).where(
                DynamicTrigger.endpoint_id == endpoint.id,
                DynamicTrigger.slug == schedule_id,
                DynamicTrigger.type == DynamicTriggerType.SCHEDULE,
            )
        )
    dispatcher = None
    if trigger is not None:
        dispatcher = await session.scalar(
            select(EventDispatcher).where(
                EventDispatcher.dispatchable_id == trigger.id,
                EventDispatcher.environment_id == scope.id,
            )
        )
    if trigger is None or dispatcher is None:
        raise NotFound(
            f"Endpoint {endpoint_slug!r} declares no dynamic schedule {schedule_id!r}.",
            code="dynamic_schedule_not_found",
        )
    return trigger, dispatcher
