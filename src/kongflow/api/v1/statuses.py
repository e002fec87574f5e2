"""Run statuses: ``io.createStatus`` / ``status.update`` write them, ``getRunStatuses``
(and browsers, with the public key) read them.

* ``PUT`` or ``POST /api/v1/runs/{runId}/statuses/{statusId}`` (secret key) with
  ``{"label"?, "state"?: "loading"|"success"|"failure", "data"?: {…}}`` → the status,
  ``{"key", "label", "state"?, "data"?, "history": [{"label", "state"?, "data"?}, …]}``.
* ``GET /api/v1|v2/runs/{runId}/statuses`` (secret or public key) →
  ``{"run": {"id", "status", "output"}, "statuses": [status, …]}``, ``status`` in the
  public mapping (in-flight runs read as ``STARTED``).

A run of another environment is a 404 (``run_not_found``) on every route.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from kongflow.api.deps import AnyKeyEnvironmentDep, EnvironmentDep, SessionDep
from kongflow.db.orm import RunStatusRecord
from kongflow.domain.protocol.base import WireModel
from kongflow.domain.states import public_run_status
from kongflow.services.runs.list_run_statuses import list_run_statuses
from kongflow.services.runs.update_run_status import (
    StatusState,
    StatusUpdate,
    status_entry,
    update_run_status,
)

router = APIRouter(tags=["statuses"])

# The key is part of a unique index (btree entries are limited) and PostgreSQL text
# cannot hold NUL.
StatusKey = Annotated[str, Path(min_length=1, max_length=500, pattern=r"^[^\x00]+$")]


class StatusUpdateBody(WireModel):
    """The SDK's StatusUpdate. A null field counts as left out."""

    label: str | None = Field(default=None, max_length=1000)
    state: StatusState | None = None
    data: dict[str, Any] | None = None


def status_json(record: RunStatusRecord) -> dict[str, Any]:
    """A status as the SDK's JobRunStatusRecord schema reads it."""
    return {
        "key": record.key,
        **status_entry(record.label, record.state, record.data),
        "history": record.history or [],
    }


@router.put("/api/v1/runs/{run_id}/statuses/{status_id}")
@router.post("/api/v1/runs/{run_id}/statuses/{status_id}", operation_id="post_run_status")
async def update_status(
    run_id: str,
    status_id: StatusKey,
    body: StatusUpdateBody,
    environment: EnvironmentDep,
    session: SessionDep,
) -> dict[str, Any]:
    """Create status ``status_id`` of the run, or update it and extend its history."""
    update = StatusUpdate(label=body.label, state=body.state, data=body.data)
    async with session.begin():
        record = await update_run_status(session, environment, run_id, status_id, update)
        return status_json(record)


@router.get("/api/v1/runs/{run_id}/statuses")
@router.get("/api/v2/runs/{run_id}/statuses")
async def get_run_statuses(
    run_id: str, environment: AnyKeyEnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """The run (id, public status, output) and its statuses, oldest first."""
    async with session.begin():
        found = await list_run_statuses(session, environment, run_id)
        return {
            "run": {
                "id": found.run.id,
                "status": public_run_status(found.run.status),
                "output": found.run.output,
            },
            "statuses": [status_json(record) for record in found.statuses],
        }
