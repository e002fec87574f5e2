"""``/api/manage/jobs``: inspect, test, roll back, enable, disable and delete jobs.

Authenticated by an environment's secret key; everything is scoped to that
environment (another environment's job is a 404). Bodies and answers are camelCase
JSON like the v2 API.
"""

from typing import Any

from fastapi import APIRouter, status
from pydantic import Field

from kongflow.api.deps import EnvironmentDep, SessionDep
from kongflow.domain.protocol.base import WireModel
from kongflow.errors import Conflict
from kongflow.services.jobs.batch_jobs import BatchAction, batch_jobs
from kongflow.services.jobs.cancel_job_runs import cancel_job_runs
from kongflow.services.jobs.delete_job import delete_job
from kongflow.services.jobs.find_job import find_job, find_version
from kongflow.services.jobs.rollback_job import rollback_job
from kongflow.services.jobs.set_job_enabled import set_job_enabled
from kongflow.services.jobs.test_job import test_job

router = APIRouter(prefix="/api/manage/jobs", tags=["jobs"])


class TestJobRequest(WireModel):
    __test__ = False  # not a pytest test class

    payload: Any = None
    account_id: str | None = Field(default=None, max_length=200)
    version: str | None = Field(default=None, description="Defaults to the live version.")


class RollbackRequest(WireModel):
    version: str = Field(min_length=1)


class BatchRequest(WireModel):
    action: BatchAction
    jobs: list[str] = Field(min_length=1, max_length=500)


def _version_json(version: Any) -> dict[str, Any]:
    return {"id": version.id, "version": version.version, "status": version.status.value}


@router.post("/batch")
async def run_batch(
    body: BatchRequest, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Enable, disable, delete or cancel the runs of many jobs; one result per job."""
    async with session.begin():
        results = await batch_jobs(session, environment, body.action, body.jobs)
    return {
        "action": body.action.value,
        "results": [
            {"job": item.slug, "ok": item.ok, "detail": item.detail, "error": item.error}
            for item in results
        ],
    }


@router.post("/{slug}/test", status_code=status.HTTP_201_CREATED)
async def create_test_run(
    slug: str, body: TestJobRequest, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Run the job once with ``payload`` (validated against its event schema)."""
    async with session.begin():
        scoped = await find_job(session, environment, slug)
        if body.version is not None:
            version = await find_version(session, environment, scoped.job, body.version)
        elif scoped.latest is not None:
            version = scoped.latest
        else:
            raise Conflict(f"Job {slug!r} has no live version here.", code="no_live_version")
        created = await test_job(
            session,
            environment,
            scoped.job,
            version,
            payload=body.payload,
            account_id=body.account_id,
        )
    return {
        "run": {
            "id": created.run.id,
            "status": created.run.status.value,
            "version": version.version,
            "isTest": True,
        },
        "event": {"id": created.event.event_id, "name": created.event.name},
    }


@router.post("/{slug}/rollback")
async def rollback(
    slug: str, body: RollbackRequest, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Make an earlier version the live one (``latest`` and the dispatcher)."""
    async with session.begin():
        version = await rollback_job(session, environment, slug, body.version)
    return {"job": slug, "latest": _version_json(version)}


@router.post("/{slug}/enable")
async def enable(slug: str, environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """Reactivate the live version and its triggers."""
    async with session.begin():
        version = await set_job_enabled(session, environment, slug, enabled=True)
    return {"job": slug, "latest": _version_json(version)}


@router.post("/{slug}/disable")
async def disable(slug: str, environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """Stop the job receiving events and schedule ticks here."""
    async with session.begin():
        version = await set_job_enabled(session, environment, slug, enabled=False)
    return {"job": slug, "latest": _version_json(version)}


@router.delete("/{slug}")
async def delete(slug: str, environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """Soft-delete the job (it must not be active in another environment)."""
    async with session.begin():
        cancelled = await delete_job(session, environment, slug)
    return {"job": slug, "deleted": True, "cancelledRunIds": cancelled}


@router.post("/{slug}/cancel-runs")
async def cancel_runs(
    slug: str, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Cancel every unfinished run of the job in this environment."""
    async with session.begin():
        result = await cancel_job_runs(session, environment, slug)
    return {
        "cancelledRunIds": result.cancelled_run_ids,
        "failedToCancelRunIds": result.failed_to_cancel_run_ids,
    }
