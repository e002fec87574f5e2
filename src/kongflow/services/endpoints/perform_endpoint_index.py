"""PerformEndpointIndex: fetch an endpoint's catalogue and make the database match it.

Runs as a worker job (or inline for a manual re-index). Each item registers in its
own transaction, so one bad job, source or trigger is recorded and skipped while
the rest of the endpoint registers. The EndpointIndex row tells the outcome:
``FAILURE`` with ``error = {message, code, raw?}`` when the catalogue could not be
fetched or read at all, ``SUCCESS`` with ``stats`` and per-item errors otherwise.
Jobs that vanished from the endpoint are disabled, never deleted.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Endpoint, EndpointIndex, Job, JobAlias, JobVersion
from kongflow.domain.enums import EndpointIndexStatus, JobVersionStatus
from kongflow.domain.protocol.index import describe_validation_error, parse_source
from kongflow.errors import NotFound
from kongflow.resources import Resources
from kongflow.services.endpoints.endpoint_api import EndpointApi, EndpointError, IndexAnswer
from kongflow.services.endpoints.register_dynamic_trigger import register_dynamic_trigger
from kongflow.services.endpoints.register_source import register_source
from kongflow.services.environments.environment_api_key import environment_api_key
from kongflow.services.jobs.disable_job import disable_version
from kongflow.services.jobs.find_job import LATEST
from kongflow.services.jobs.register_endpoint_jobs import register_endpoint_jobs

logger = logging.getLogger(__name__)

FINISHED = (EndpointIndexStatus.SUCCESS, EndpointIndexStatus.FAILURE)


@dataclass
class ItemFailures:
    """Items other than jobs that failed to register, by kind."""

    failures: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, item_id: object, problems: list[str]) -> None:
        self.failures.append({"kind": kind, "id": item_id, "problems": problems})


async def perform_endpoint_index(resources: Resources, index_id: str) -> EndpointIndex:
    """Run the index ``index_id`` to completion and return its final row."""
    database = resources.database
    async with database.transaction() as session:
        index = await session.scalar(
            select(EndpointIndex).where(EndpointIndex.id == index_id).with_for_update()
        )
        if index is None:
            raise NotFound(f"No endpoint index {index_id}.", code="endpoint_index_not_found")
        if index.status in FINISHED:
            return index  # already done: a re-delivered job changes nothing
        index.status = EndpointIndexStatus.STARTED
        endpoint = await session.get_one(Endpoint, index.endpoint_id)
        api_key = await environment_api_key(session, resources.key, endpoint.environment_id)

    api = EndpointApi(
        resources.http,
        endpoint.url,
        api_key,
        timeout=resources.settings.endpoint_timeout_seconds,
    )
    try:
        answer = await api.index_endpoint()
    except EndpointError as exc:
        return await _finish(resources, index_id, error=exc.as_json())

    async with database.transaction() as session:
        endpoint = await _record_endpoint_changes(session, endpoint.id, answer)

    raw_jobs = answer.index.jobs
    report = await register_endpoint_jobs(database, endpoint, raw_jobs)
    declared = {raw.get("id") for raw in raw_jobs if isinstance(raw, dict)}
    async with database.transaction() as session:
        vanished = await _disable_vanished_jobs(session, endpoint, declared)

    others = ItemFailures()
    sources = await _each(
        resources,
        "source",
        answer.index.sources,
        lambda session, raw: register_source(session, resources.key, endpoint, parse_source(raw)),
        others,
    )
    dynamic_triggers = await _each(
        resources,
        "dynamicTrigger",
        answer.index.dynamic_triggers,
        lambda session, item: register_dynamic_trigger(session, endpoint, item),
        others,
    )
    dynamic_schedules = await _each(
        resources,
        "dynamicSchedule",
        answer.index.dynamic_schedules,
        lambda session, item: register_dynamic_trigger(session, endpoint, item),
        others,
    )
    stats = {
        "jobs": len(report.registered),
        "sources": sources,
        "webhooks": 0,
        "dynamicTriggers": dynamic_triggers,
        "dynamicSchedules": dynamic_schedules,
        "disabledJobs": len(report.disabled) + len(vanished),
        "httpEndpoints": 0,
        "failedJobs": len(report.failed),
    }
    data = {
        "registeredJobs": report.registered,
        "disabledJobs": report.disabled + vanished,
        "jobErrors": [failure.as_json() for failure in report.failed],
        "otherErrors": others.failures,
        "unsupported": {
            "webhooks": len(answer.index.webhooks),
            "httpEndpoints": len(answer.index.http_endpoints),
        },
    }
    return await _finish(resources, index_id, stats=stats, data=data)


async def _record_endpoint_changes(
    session: AsyncSession, endpoint_id: str, answer: IndexAnswer
) -> Endpoint:
    endpoint = await session.get_one(Endpoint, endpoint_id)
    if answer.url != endpoint.url:
        endpoint.url = answer.url  # the endpoint redirected us: remember where it lives now
    if answer.versions.trigger_version:
        endpoint.version = answer.versions.trigger_version
    if answer.versions.sdk_version:
        endpoint.sdk_version = answer.versions.sdk_version
    await session.flush()
    return endpoint


async def _disable_vanished_jobs(
    session: AsyncSession, endpoint: Endpoint, declared: set[Any]
) -> list[str]:
    """Disable live versions served by this endpoint whose job it no longer declares.

    Only versions this endpoint registered are considered: another endpoint of the
    same environment keeps its jobs (v2 disabled them too).
    """
    rows = await session.execute(
        select(Job.slug, JobVersion)
        .join(JobAlias, JobAlias.job_id == Job.id)
        .join(JobVersion, JobVersion.id == JobAlias.version_id)
        .where(
            Job.project_id == endpoint.project_id,
            Job.deleted_at.is_(None),
            JobAlias.environment_id == endpoint.environment_id,
            JobAlias.name == LATEST,
            JobVersion.endpoint_id == endpoint.id,
            JobVersion.status == JobVersionStatus.ACTIVE,
        )
    )
    vanished = []
    for slug, version in rows:
        if slug not in declared and await disable_version(session, version):
            vanished.append(slug)
    return sorted(vanished)


async def _each(
    resources: Resources,
    kind: str,
    items: list[Any],
    register: Callable[[AsyncSession, Any], Awaitable[object]],
    failures: ItemFailures,
) -> int:
    """Register each item in its own transaction; count successes, record failures."""
    registered = 0
    for item in items:
        item_id = getattr(item, "id", None) or (item.get("key") if isinstance(item, dict) else None)
        try:
            async with resources.database.transaction() as session:
                await register(session, item)
        except ValidationError as exc:
            failures.add(kind, item_id, describe_validation_error(exc))
        except SQLAlchemyError as exc:
            logger.exception("registering %s %s failed", kind, item_id)
            failures.add(kind, item_id, [f"database error: {type(exc).__name__}"])
        else:
            registered += 1
    return registered


async def _finish(
    resources: Resources,
    index_id: str,
    *,
    error: dict[str, Any] | None = None,
    stats: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> EndpointIndex:
    async with resources.database.transaction() as session:
        index = await session.get_one(EndpointIndex, index_id)
        index.status = EndpointIndexStatus.FAILURE if error else EndpointIndexStatus.SUCCESS
        index.error = error
        index.stats = stats
        index.data = data
        await session.flush()
        return index
