"""DeliverEvent: hand an event to every dispatcher that matches it.

Candidates come from one indexed lookup (environment, source, enabled, not manual,
and the event name in the dispatcher's GIN-indexed ``event`` array), so the cost
does not grow with the number of dispatchers listening to other events. Each
candidate's payload and context filters are then evaluated, and each match becomes
runs: one for a job version, one per attached job for a dynamic trigger. The lookup
of candidates and of a job version's target are plain asyncpg (``db/raw.py``): they
run for every event received.

Fixes of v2 quirks: a dispatcher restricted to an account never matches another
account's events, filters or not (quirk 4); ``deliveredAt`` is set whether or not
anything matched (quirk 5), so "delivered" means "processed".
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from kongflow.db.orm import (
    DynamicTrigger,
    EventRecord,
    Job,
    JobAlias,
    JobVersion,
    dynamic_trigger_jobs,
)
from kongflow.db.raw import Work, driver_connection, session_of
from kongflow.domain.enums import JobVersionStatus, PayloadType
from kongflow.domain.event_filter import event_filter_matches
from kongflow.services.events.ephemeral_dispatcher import queue_ephemeral_invocation
from kongflow.services.runs.create_run import RunTarget, create_run, find_active_target

LATEST = "latest"

_CANDIDATES = (
    "SELECT id, dispatchable, payload_filter, context_filter, external_account_id, "
    "environment_id "
    "FROM event_dispatchers WHERE environment_id = $1 AND source = $2 AND enabled "
    "AND NOT manual AND event @> $3::varchar[]"
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


def dispatcher_matches(dispatcher: Mapping[str, Any], event: EventRecord) -> bool:
    """Whether a dispatcher's account restriction and filters (a row of its
    ``external_account_id``, ``payload_filter`` and ``context_filter``) accept
    ``event``."""
    account_id = dispatcher["external_account_id"]
    if account_id is not None and account_id != event.external_account_id:
        return False
    payload_filter, context_filter = dispatcher["payload_filter"], dispatcher["context_filter"]
    if payload_filter is None and context_filter is None:
        return True
    subject = _subject(event)
    if subject is None:
        return False
    return event_filter_matches(
        subject, {"payload": payload_filter or {}, "context": context_filter or {}}
    )


async def deliver_event(work: Work, event: EventRecord) -> list[str]:
    """Create the runs ``event`` triggers and mark it delivered; returns their ids.

    An event not yet marked delivered must be one the session tracks (a scheduled
    delivery); a new one is inserted already marked.
    """
    if event.cancelled_at is not None:
        return []
    connection = await driver_connection(work)
    candidates = await connection.fetch(
        _CANDIDATES, event.environment_id, event.source, [event.name]
    )
    run_ids: list[str] = []
    for dispatcher in candidates:
        if dispatcher_matches(dispatcher, event):
            run_ids.extend(
                await invoke_dispatcher(
                    work,
                    dispatcher["id"],
                    dispatcher["dispatchable"],
                    dispatcher["environment_id"],
                    event,
                )
            )
    if event.delivered_at is None:
        event.delivered_at = datetime.now(UTC)
        await session_of(work).flush()
    return run_ids


async def invoke_dispatcher(
    work: Work,
    dispatcher_id: str,
    dispatchable: dict[str, Any] | None,
    environment_id: str,
    event: EventRecord,
) -> list[str]:
    """The ids of the runs a matching dispatcher (``dispatcher_id``, what it
    ``dispatchable``s, in ``environment_id``) creates for ``event``; an ephemeral one
    (``io.waitForEvent``) creates none and has the event sent to its URL."""
    target = dispatchable or {}
    kind = target.get("type")
    if kind == "JOB_VERSION":
        run_target = await find_active_target(work, str(target.get("id")))
        if run_target is None:
            return []
        return [await create_run(work, event=event, target=run_target)]
    if kind == "DYNAMIC_TRIGGER":
        session = session_of(work)
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
                JobAlias.environment_id == environment_id,
                JobVersion.status == JobVersionStatus.ACTIVE,
            )
        )
        return [
            await create_run(session, event=event, target=RunTarget.of(job, version))
            for job, version in rows
        ]
    if kind == "EPHEMERAL":
        await queue_ephemeral_invocation(work, dispatcher_id, event.id)
    return []
