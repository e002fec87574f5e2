"""Dynamic schedule registrations (``dynamicSchedule.register`` / ``unregister``):

* ``POST /api/v1/{endpointSlug}/schedules/{scheduleId}/registrations`` — body
  ``{id, type: "cron"|"interval", options, metadata?, accountId?}``; answers
  ``{id, schedule: {type, options, accountId?, metadata?}, metadata?, active}``.
* ``DELETE /api/v1/{endpointSlug}/schedules/{scheduleId}/registrations/{key}`` —
  ``{ok: true}``. The key may contain slashes (the SDK URL-encodes it).
"""

from typing import Any

from fastapi import APIRouter
from pydantic import TypeAdapter

from kongflow.api.deps import EnvironmentDep, SessionDep
from kongflow.domain.protocol.index import ScheduleRegistration
from kongflow.services.schedules.register_schedule import (
    register_dynamic_schedule,
    unregister_dynamic_schedule,
)

router = APIRouter(prefix="/api/v1", tags=["schedules"])

_REGISTRATION = TypeAdapter[ScheduleRegistration](ScheduleRegistration)


@router.post("/{endpoint_slug}/schedules/{schedule_id}/registrations")
async def register(
    endpoint_slug: str,
    schedule_id: str,
    registration: ScheduleRegistration,
    environment: EnvironmentDep,
    session: SessionDep,
) -> dict[str, Any]:
    """Register (or update) the registration ``registration.id``."""
    async with session.begin():
        source = await register_dynamic_schedule(
            session, environment, endpoint_slug, schedule_id, registration.id, registration
        )
        active = source.active
    answer: dict[str, Any] = {
        "id": registration.id,
        "schedule": _REGISTRATION.dump_python(
            registration, mode="json", by_alias=True, exclude={"id"}, exclude_none=True
        ),
    }
    if registration.metadata is not None:
        answer["metadata"] = registration.metadata
    answer["active"] = active
    return answer


@router.delete("/{endpoint_slug}/schedules/{schedule_id}/registrations/{key:path}")
async def unregister(
    endpoint_slug: str, schedule_id: str, key: str, environment: EnvironmentDep, session: SessionDep
) -> dict[str, bool]:
    """Stop the registration ``key``; the pending tick is dropped with it."""
    async with session.begin():
        await unregister_dynamic_schedule(session, environment, endpoint_slug, schedule_id, key)
    return {"ok": True}
