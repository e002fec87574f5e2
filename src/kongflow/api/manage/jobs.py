"""``/api/manage/jobs``: list, inspect, compare versions of and summarise the runs of
jobs; test, roll back, enable, disable and delete them.

Authenticated by an environment's secret key; everything is scoped to that
environment (another environment's job is a 404). Bodies and answers are camelCase
JSON like the v2 API, with datetimes in ISO 8601 UTC (``...Z``).
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field

from kongflow.api.deps import EnvironmentDep, SessionDep
from kongflow.domain.protocol.base import WireModel
from kongflow.errors import Conflict
from kongflow.services.jobs.batch_jobs import BatchAction, batch_jobs
from kongflow.services.jobs.cancel_job_runs import cancel_job_runs
from kongflow.services.jobs.delete_job import delete_job
from kongflow.services.jobs.diff_versions import KeyedChanges, ValueChange, diff_versions
from kongflow.services.jobs.find_job import find_job, find_version
from kongflow.services.jobs.job_stats import job_stats
from kongflow.services.jobs.list_jobs import (
    MAX_PAGE_SIZE,
    JobFilters,
    JobSummary,
    TriggerType,
    list_jobs,
)
from kongflow.services.jobs.read_job import JobDetail, read_job
from kongflow.services.jobs.rollback_job import rollback_job
from kongflow.services.jobs.set_job_enabled import set_job_enabled
from kongflow.services.jobs.test_job import test_job

DEFAULT_PAGE_SIZE = 20
MAX_WINDOW_HOURS = 720  # 30 days

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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _summary_json(item: JobSummary) -> dict[str, Any]:
    return {
        "slug": item.slug,
        "title": item.title,
        "internal": item.internal,
        "latestVersion": item.latest_version,
        "latestVersionStatus": item.latest_version_status.value,
        "triggerType": item.trigger_type,
        "eventNames": list(item.event_names),
        "enabled": item.enabled,
        "integrations": list(item.integration_slugs),
        "createdAt": _iso(item.created_at),
        "updatedAt": _iso(item.updated_at),
        "deletedAt": _iso(item.deleted_at),
    }


def _detail_json(job: JobDetail) -> dict[str, Any]:
    dispatcher = job.dispatcher
    schedule = job.schedule
    return {
        "id": job.id,
        "slug": job.slug,
        "title": job.title,
        "internal": job.internal,
        "createdAt": _iso(job.created_at),
        "updatedAt": _iso(job.updated_at),
        "deletedAt": _iso(job.deleted_at),
        "latestVersion": job.latest_version,
        "triggerType": job.trigger_type,
        "trigger": job.trigger,
        "eventNames": list(job.event_names),
        "versions": [
            {
                "id": version.id,
                "version": version.version,
                "status": version.status.value,
                "endpointId": version.endpoint_id,
                "concurrencyLimit": version.concurrency_limit,
                "concurrencyLimitGroup": version.concurrency_limit_group,
                "preprocessRuns": version.preprocess_runs,
                "createdAt": _iso(version.created_at),
                "updatedAt": _iso(version.updated_at),
            }
            for version in job.versions
        ],
        "aliases": [
            {"name": alias.name, "version": alias.version, "versionId": alias.version_id}
            for alias in job.aliases
        ],
        "dispatcher": None
        if dispatcher is None
        else {
            "event": list(dispatcher.event),
            "source": dispatcher.source,
            "payloadFilter": dispatcher.payload_filter,
            "contextFilter": dispatcher.context_filter,
            "manual": dispatcher.manual,
            "enabled": dispatcher.enabled,
            "version": dispatcher.version,
            "versionId": dispatcher.version_id,
        },
        "schedule": None
        if schedule is None
        else {
            "schedule": schedule.schedule,
            "active": schedule.active,
            "nextEventTimestamp": _iso(schedule.next_event_timestamp),
            "lastEventTimestamp": _iso(schedule.last_event_timestamp),
        },
        "integrations": [
            {
                "key": use.key,
                "slug": use.slug,
                "authSource": use.auth_source.value,
                "setupStatus": use.setup_status.value,
            }
            for use in job.integrations
        ],
        "examples": [
            {
                "slug": example.slug,
                "name": example.name,
                "icon": example.icon,
                "payload": example.payload,
            }
            for example in job.examples
        ],
    }


def _change_json(change: ValueChange, name: str) -> dict[str, Any]:
    return {name: change.field, "before": change.before, "after": change.after}


def _keyed_json(changes: KeyedChanges) -> dict[str, Any]:
    return {
        kind: [_change_json(change, "key") for change in items]
        for kind, items in (
            ("added", changes.added),
            ("removed", changes.removed),
            ("changed", changes.changed),
        )
    }


@router.get("")
async def list_environment_jobs(
    environment: EnvironmentDep,
    session: SessionDep,
    search: Annotated[str | None, Query(max_length=200)] = None,
    trigger: TriggerType | None = None,
    event: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    enabled: bool | None = None,
    integration: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """A page of the environment's jobs in slug order; pass ``nextCursor`` back as
    ``cursor`` for the next one (null on the last page)."""
    filters = JobFilters(
        search=search,
        trigger_type=trigger,
        event_name=event,
        enabled=enabled,
        integration=integration,
    )
    async with session.begin():
        page = await list_jobs(session, environment, filters=filters, cursor=cursor, limit=limit)
    return {"jobs": [_summary_json(item) for item in page.items], "nextCursor": page.next_cursor}


@router.get("/{slug}")
async def read_environment_job(
    slug: str, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """The job with its trigger, versions, aliases, dispatcher, schedule, and the
    integrations and examples of its latest version."""
    async with session.begin():
        job = await read_job(session, environment, slug)
    return _detail_json(job)


@router.get("/{slug}/diff")
async def diff_job_versions(
    slug: str,
    environment: EnvironmentDep,
    session: SessionDep,
    from_version: Annotated[str, Query(alias="from", min_length=1, max_length=100)],
    to_version: Annotated[str, Query(alias="to", min_length=1, max_length=100)],
) -> dict[str, Any]:
    """What changed in the job's declaration from version ``from`` to version ``to``."""
    async with session.begin():
        diff = await diff_versions(
            session, environment, slug, from_version=from_version, to_version=to_version
        )
    return {
        "job": diff.slug,
        "from": diff.from_version,
        "to": diff.to_version,
        "identical": diff.is_empty,
        "fields": [_change_json(change, "field") for change in diff.fields],
        "integrations": _keyed_json(diff.integrations),
        "examples": _keyed_json(diff.examples),
    }


@router.get("/{slug}/stats")
async def job_run_stats(
    slug: str,
    environment: EnvironmentDep,
    session: SessionDep,
    window_hours: Annotated[int, Query(alias="windowHours", ge=1, le=MAX_WINDOW_HOURS)] = 24,
) -> dict[str, Any]:
    """Runs per status, success rate and duration percentiles over the last
    ``windowHours`` hours, and the job's most recent run."""
    async with session.begin():
        stats = await job_stats(
            session,
            environment,
            slug,
            window=timedelta(hours=window_hours),
            now=datetime.now(UTC),
        )
    last = stats.last_run
    return {
        "job": stats.slug,
        "windowStart": _iso(stats.window_start),
        "windowEnd": _iso(stats.window_end),
        "totalRuns": stats.total_runs,
        "runsByStatus": {status.value: count for status, count in stats.runs_by_status.items()},
        "successRate": stats.success_rate,
        "p50DurationMs": stats.p50_duration_ms,
        "p95DurationMs": stats.p95_duration_ms,
        "lastRun": None
        if last is None
        else {"id": last.id, "status": last.status.value, "createdAt": _iso(last.created_at)},
    }


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
    return result.as_json()
