"""ReadJob: everything about one job in one environment, for its dashboard page and the
management API: its versions, aliases, event dispatcher, schedule, and the integrations
and example payloads of its latest version.

It also holds the lookup every single-job read shares: a job is visible to a caller
only within the caller's project, only once the caller's environment has a version of
it, and, unless asked for, only while it is not deleted. Anything else is "not found",
so no caller can learn about another project's jobs.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    EventDispatcher,
    EventExample,
    Integration,
    Job,
    JobAlias,
    JobIntegration,
    JobVersion,
    ScheduleSource,
)
from kongflow.domain.enums import IntegrationAuthSource, IntegrationSetupStatus, JobVersionStatus
from kongflow.domain.versions import version_sort_key
from kongflow.errors import NotFound
from kongflow.services.jobs.list_jobs import (
    TriggerType,
    dispatcher_of_job,
    latest_version_of_job,
    trigger_type_of,
)


@dataclass(frozen=True)
class JobVersionSummary:
    """One version of the job in the environment."""

    id: str
    version: str
    status: JobVersionStatus
    endpoint_id: str
    concurrency_limit: int | None
    concurrency_limit_group: str | None
    preprocess_runs: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class JobAliasTarget:
    """An alias (``latest`` in practice) and the version it names."""

    name: str
    version: str
    version_id: str


@dataclass(frozen=True)
class JobDispatcherSettings:
    """How the job's events are routed in the environment.

    ``version``/``version_id`` name the version events go to (``version`` is None if
    that version is not one of the job's versions in this environment).
    """

    event: tuple[str, ...]
    source: str
    payload_filter: dict[str, Any] | None
    context_filter: dict[str, Any] | None
    manual: bool
    enabled: bool
    version_id: str | None
    version: str | None


@dataclass(frozen=True)
class JobScheduleState:
    """The job's schedule in the environment and where it stands."""

    schedule: dict[str, Any]
    active: bool
    next_event_timestamp: datetime | None
    last_event_timestamp: datetime | None


@dataclass(frozen=True)
class JobIntegrationUse:
    """An integration the latest version uses, under the key its code names it by."""

    key: str
    slug: str
    auth_source: IntegrationAuthSource
    setup_status: IntegrationSetupStatus


@dataclass(frozen=True)
class JobEventExample:
    """A sample payload the latest version offers for test runs."""

    slug: str
    name: str
    icon: str | None
    payload: Any


@dataclass(frozen=True)
class JobDetail:
    """A job as seen from one environment. ``versions`` is newest first (semver order)."""

    id: str
    slug: str
    title: str
    internal: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    trigger_type: TriggerType
    latest_version: str
    versions: tuple[JobVersionSummary, ...]
    aliases: tuple[JobAliasTarget, ...]
    dispatcher: JobDispatcherSettings | None
    schedule: JobScheduleState | None
    integrations: tuple[JobIntegrationUse, ...]
    examples: tuple[JobEventExample, ...]


def job_not_found(slug: str) -> NotFound:
    """The error for a job the caller cannot see in its environment."""
    return NotFound(f"Job {slug!r} was not found in this environment.", code="job_not_found")


def visible_job(
    *, project_id: str, environment_id: str, slug: str, include_deleted: bool
) -> ColumnElement[bool]:
    """The condition naming job ``slug`` of the project, if the environment has a version
    of it and (unless ``include_deleted``) it is not deleted."""
    condition = and_(
        Job.project_id == project_id,
        Job.slug == slug,
        exists().where(JobVersion.job_id == Job.id, JobVersion.environment_id == environment_id),
    )
    if not include_deleted:
        condition = and_(condition, Job.deleted_at.is_(None))
    return condition


async def find_job_id(
    session: AsyncSession,
    *,
    project_id: str,
    environment_id: str,
    slug: str,
    include_deleted: bool = False,
) -> str:
    """The id of the job ``slug`` visible in the environment; NotFound(job_not_found)
    otherwise (see :func:`visible_job`)."""
    job_id = await session.scalar(
        select(Job.id).where(
            visible_job(
                project_id=project_id,
                environment_id=environment_id,
                slug=slug,
                include_deleted=include_deleted,
            )
        )
    )
    if job_id is None:
        raise job_not_found(slug)
    return job_id


async def read_job(
    session: AsyncSession,
    *,
    project_id: str,
    environment_id: str,
    slug: str,
    include_deleted: bool = False,
) -> JobDetail:
    """Job ``slug`` with its versions, aliases, dispatcher, schedule, and its latest
    version's integrations and examples, all in ``environment_id``.

    Five queries. Raises NotFound(job_not_found) for a job of another project, one
    without a version in the environment, or a deleted one (unless ``include_deleted``).
    """
    latest = latest_version_of_job(environment_id)
    statement = (
        select(Job, latest.c.id, trigger_type_of(latest), EventDispatcher, ScheduleSource)
        .select_from(Job)
        .join(latest, true())
        .outerjoin(EventDispatcher, dispatcher_of_job(environment_id))
        .outerjoin(
            ScheduleSource,
            and_(ScheduleSource.key == Job.id, ScheduleSource.environment_id == environment_id),
        )
        .where(Job.project_id == project_id, Job.slug == slug)
    )
    if not include_deleted:
        statement = statement.where(Job.deleted_at.is_(None))
    found = (await session.execute(statement)).one_or_none()
    if found is None:
        raise job_not_found(slug)
    job, latest_id, trigger_type, dispatcher, schedule = found

    version_rows = await session.execute(
        select(JobVersion, ConcurrencyLimitGroup.name)
        .outerjoin(
            ConcurrencyLimitGroup,
            ConcurrencyLimitGroup.id == JobVersion.concurrency_limit_group_id,
        )
        .where(JobVersion.job_id == job.id, JobVersion.environment_id == environment_id)
    )
    versions = sorted(
        (
            JobVersionSummary(
                id=version.id,
                version=version.version,
                status=version.status,
                endpoint_id=version.endpoint_id,
                concurrency_limit=version.concurrency_limit,
                concurrency_limit_group=group_name,
                preprocess_runs=version.preprocess_runs,
                created_at=version.created_at,
                updated_at=version.updated_at,
            )
            for version, group_name in version_rows
        ),
        key=lambda summary: version_sort_key(summary.version),
        reverse=True,
    )
    version_names = {summary.id: summary.version for summary in versions}

    aliases = await session.scalars(
        select(JobAlias)
        .where(JobAlias.job_id == job.id, JobAlias.environment_id == environment_id)
        .order_by(JobAlias.name)
    )
    integrations = await session.execute(
        select(
            JobIntegration.key,
            Integration.slug,
            Integration.auth_source,
            Integration.setup_status,
        )
        .join(Integration, Integration.id == JobIntegration.integration_id)
        .where(JobIntegration.version_id == latest_id)
        .order_by(JobIntegration.key)
    )
    examples = await session.scalars(
        select(EventExample)
        .where(EventExample.job_version_id == latest_id)
        .order_by(EventExample.slug)
    )

    dispatcher_settings = None
    if dispatcher is not None:
        target = dispatcher.dispatchable.get("id")
        target_id = target if isinstance(target, str) else None
        dispatcher_settings = JobDispatcherSettings(
            event=tuple(dispatcher.event),
            source=dispatcher.source,
            payload_filter=dispatcher.payload_filter,
            context_filter=dispatcher.context_filter,
            manual=dispatcher.manual,
            enabled=dispatcher.enabled,
            version_id=target_id,
            version=version_names.get(target_id) if target_id else None,
        )
    schedule_state = None
    if schedule is not None:
        schedule_state = JobScheduleState(
            schedule=schedule.schedule,
            active=schedule.active,
            next_event_timestamp=schedule.next_event_timestamp,
            last_event_timestamp=schedule.last_event_timestamp,
        )
    return JobDetail(
        id=job.id,
        slug=job.slug,
        title=job.title,
        internal=job.internal,
        created_at=job.created_at,
        updated_at=job.updated_at,
        deleted_at=job.deleted_at,
        trigger_type=TriggerType(trigger_type),
        latest_version=version_names[latest_id],
        versions=tuple(versions),
        aliases=tuple(
            JobAliasTarget(name=alias.name, version=alias.value, version_id=alias.version_id)
            for alias in aliases
        ),
        dispatcher=dispatcher_settings,
        schedule=schedule_state,
        integrations=tuple(
            JobIntegrationUse(key=key, slug=slug, auth_source=source, setup_status=status)
            for key, slug, source, status in integrations
        ),
        examples=tuple(
            JobEventExample(slug=row.slug, name=row.name, icon=row.icon, payload=row.payload)
            for row in examples
        ),
    )
