"""DeliverEvent: hand an event to every dispatcher that matches it.

Candidates come from one indexed lookup (environment, source, enabled, not manual,
and the event name in the dispatcher's GIN-indexed ``event`` array), so the cost
does not grow with the number of dispatchers listening to other events. Each
candidate's payload and context filters are then evaluated, and each match becomes
runs: one for a job version, one per attached job for a dynamic trigger.

Fixes of v2 quirks: a dispatcher restricted to an account never matches another
account's events, filters or not (quirk 4); ``deliveredAt`` is set whether or not
anything matched (quirk 5), so "delivered" means "processed".
"""

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    DynamicTrigger,
    EventDispatcher,
    EventRecord,
    Job,
    JobAlias,
    JobVersion,
    Run,
    dynamic_trigger_jobs,
)
from kongflow.domain.enums import JobVersionStatus, PayloadType
from kongflow.domain.event_filter import event_filter_matches
from kongflow.services.runs.create_run import create_run

LATEST = "latest"

# Built once (with bind parameters): this runs for every event received.
_CANDIDATES = select(EventDispatcher).where(
    EventDispatcher.environment_id == bindparam("environment_id"),
    EventDispatcher.source == bindparam("source"),
    EventDispatcher.enabled.is_(True),
    EventDispatcher.manual.is_(False),
    EventDispatcher.event.contains(bindparam("names", type_=ARRAY(String))),
)


def _subject(event: EventRecord) -> dict[str, Any] | None:
    """What the filters look at: ``{payload, context}`` (REQUEST payloads with a JSON
    body are seen with that body parsed)."""
    if event.payload_type is not PayloadType.REQUEST:
        return {"payload": event.payload, "context": event.context}
    request = event.payload
    if not isinstance(request, dict):
        return None
    headers = request.get("headers") or {}
    content_type = next(
        (str(v) for k, v in headers.items() if str(k).lower() == "content-type"), ""
    )
    if "application/json" not in content_type:
        return request
    try:
        body = json.loads(request.get("rawBody") or "null")
    except ValueError:
        return None
    payload = {
        "url": request.get("url"),
        "method": request.get("method"),
        "headers": headers,
        "body": body,
    }
    return {"payload": payload, "context": event.context}


def dispatcher_matches(dispatcher: EventDispatcher, event: EventRecord) -> bool:
    """Whether ``dispatcher``'s account restriction and filters accept ``event``."""
    if (
        dispatcher.external_account_id is not None
        and dispatcher.external_account_id != event.external_account_id
    ):
        return False
    if dispatcher.payload_filter is None and dispatcher.context_filter is None:
        return True
    subject = _subject(event)
    if subject is None:
        return False
    return event_filter_matches(
        subject,
        {"payload": dispatcher.payload_filter or {}, "context": dispatcher.context_filter or {}},
    )


async def deliver_event(session: AsyncSession, event: EventRecord) -> list[Run]:
    """Create the runs ``event`` triggers and mark it delivered."""
    if event.cancelled_at is not None:
        return []
    candidates = await session.scalars(
        _CANDIDATES,
        {"environment_id": event.environment_id, "source": event.source, "names": [event.name]},
    )
    runs: list[Run] = []
    for dispatcher in candidates:
        if dispatcher_matches(dispatcher, event):
            runs.extend(await invoke_dispatcher(session, dispatcher, event))
    if event.delivered_at is None:
        event.delivered_at = datetime.now(UTC)
        await session.flush()
    return runs


async def invoke_dispatcher(
    session: AsyncSession, dispatcher: EventDispatcher, event: EventRecord
) -> list[Run]:
    """The runs one matching dispatcher creates for ``event``."""
    target = dispatcher.dispatchable or {}
    kind = target.get("type")
    if kind == "JOB_VERSION":
        version = await session.get(JobVersion, target.get("id"))
        if version is None or version.status is not JobVersionStatus.ACTIVE:
            return []
        job = await session.get_one(Job, version.job_id)
        return [await create_run(session, event=event, job=job, version=version)]
    if kind == "DYNAMIC_TRIGGER":
        trigger = await session.get(DynamicTrigger, target.get("id"))
        if trigger is None:
            return []
        rows = await session.execute(
            select(Job, JobVersion)
            .join(dynamic_trigger_jobs, dynamic_trigger_jobs.c.job_id == Job.id)
            .join(JobAlias, (JobAlias.job_id == Job.id) & (JobAlias.name == LATEST))
            .join(JobVersion, JobVersion.id == JobAlias.version_id)
            .where(
                dynamic_trigger_jobs.c.dynamic_trigger_id == trigger.id,
                JobAlias.environment_id == dispatcher.environment_id,
                JobVersion.status == JobVersionStatus.ACTIVE,
            )
        )
        return [
            await create_run(session, event=event, job=job, version=version)
            for job, version in rows
        ]
    return []  # EPHEMERAL dispatchers (io.waitForEvent) are not supported yet
