"""InvokeJob: run a job directly with a payload (``job.invoke()`` / ``invokeJob``).

The run's event is recorded with the name ``invoke`` and bypasses dispatchers. An
``Idempotency-Key`` becomes the event id, so repeating the call returns the first
run instead of starting another. A ``callbackUrl`` is told the run's outcome.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventRecord, Run
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import Conflict
from kongflow.ids import new_id, new_ulid
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.jobs.find_job import find_job
from kongflow.services.runs.create_run import RunTarget, create_run

INVOKE_EVENT = "invoke"


async def invoke_job(
    session: AsyncSession,
    scope: EnvironmentScope,
    slug: str,
    *,
    payload: Any,
    context: Any,
    account_id: str | None,
    callback_url: str | None,
    idempotency_key: str | None,
) -> str:
    """Start a run of job ``slug``'s live version (or find the one the key started);
    returns the run's id."""
    if idempotency_key and (earlier := await _first_run(session, scope, idempotency_key)):
        return earlier
    scoped = await find_job(session, scope, slug)
    if scoped.latest is None:
        raise Conflict(f"Job {slug!r} has no live version here.", code="no_live_version")
    external_account_id = (
        await ensure_external_account(session, scope, account_id) if account_id else None
    )
    event_id = idempotency_key or new_ulid()
    inserted = await session.scalar(
        insert(EventRecord)
        .values(
            id=new_id("evt"),
            event_id=event_id,
            name=INVOKE_EVENT,
            payload=payload if payload is not None else {},
            context=context if context is not None else {},
            source="trigger.dev",
            internal=True,
            organization_id=scope.organization_id,
            project_id=scope.project_id,
            environment_id=scope.id,
            external_account_id=external_account_id,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "environment_id"])
        .returning(EventRecord.id)
    )
    if inserted is None:  # a concurrent call with the same key got there first
        earlier = await _first_run(session, scope, event_id)
        if earlier is None:
            raise Conflict("This Idempotency-Key was used for another event.", code="key_in_use")
        return earlier
    event = await session.get_one(EventRecord, inserted)
    return await create_run(
        session,
        event=event,
        target=RunTarget.of(scoped.job, scoped.latest),
        callback_url=callback_url,
    )


async def _first_run(session: AsyncSession, scope: EnvironmentScope, event_id: str) -> str | None:
    return await session.scalar(
        select(Run.id)
        .join(EventRecord, EventRecord.id == Run.event_id)
        .where(EventRecord.event_id == event_id, EventRecord.environment_id == scope.id)
        .order_by(Run.created_at)
        .limit(1)
    )
