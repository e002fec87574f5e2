"""ReadJob: everything about one job in one environment, for its dashboard page and the
management API: its declared trigger, versions, aliases, event dispatcher, schedule, and
the integrations and example payloads of its latest version.

The job is looked up with :func:`~kongflow.services.jobs.find_job.find_job`, so it is
visible only within the caller's project, once the caller's environment has a version
of it, and (unless asked for) while it is not deleted. The latest version follows the
same rule as the jobs list: the one ``latest`` names, else the one registered last.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
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
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.domain.versions import version_sort_key
from kongflow.services.jobs.find_job import find_job
from kongflow.services.jobs.list_jobs import TriggerType, event_names_of, trigger_type_of


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
    """A job as seen from one environment. ``versions`` is newest first (semver order).

    ``trigger`` is the latest version's trigger as the SDK declared it (wire form);
    it, and so ``trigger_type``, is None for a version registered before triggers
    were stored.
    """

    id: str
    slug: str
    title: str
    internal: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    trigger: dict[str, Any] | None
    trigger_type: TriggerType | None
    event_names: tuple[str, ...]
    latest_version: str
    versions: tuple[JobVersionSummary, ...]
    aliases: tuple[JobAliasTarget, ...]
    dispatcher: JobDispatcherSettings | None
    schedule: JobScheduleState | None
    integrations: tuple[JobIntegrationUse, ...]
    examples: tuple[JobEventExample, ...]


async def read_job(
    session: AsyncSession,
    scope: EnvironmentScope,
    slug: str,
    *,
    include_deleted: bool = False,
) -> JobDetail:
    """Job ``slug`` with its versions, aliases, dispatcher, schedule, and its latest
    version's trigger, integrations and examples, all in ``scope``'s environment.

    Five queries: the job with its ``latest`` version, the versions with their
    aliases, the dispatcher with the schedule, the integrations, the examples. Raises
    NotFound(job_not_found) for a job of another project, one without a version in
    the environment, or a deleted one (unless ``include_deleted``).
    """
    scoped = await find_job(session, scope, slug, include_deleted=include_deleted)
    job = scoped.job

    alias_names = (
        select(func.array_agg(JobAlias.name))
        .where(
            JobAlias.version_id == JobVersion.id,
            JobAlias.job_id == job.id,
            JobAlias.environment_id == scope.id,
        )
        .scalar_subquery()
    )
    version_rows = (
        await session.execute(
            select(JobVersion, ConcurrencyLimitGroup.name, alias_names)
            .outerjoin(
                ConcurrencyLimitGroup,
                ConcurrencyLimitGroup.id == JobVersion.concurrency_limit_group_id,
            )
            .where(JobVersion.job_id == job.id, JobVersion.environment_id == scope.id)
        )
    ).all()
    latest = scoped.latest or max(
        (version for version, _, _ in version_rows),
        key=lambda version: (version.created_at, version.id),
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
            for version, group_name, _ in version_rows
        ),
        key=lambda summary: version_sort_key(summary.version),
        reverse=True,
    )
    version_names = {summary.id: summary.version for summary in versions}
    aliases = sorted(
        (
            JobAliasTarget(name=name, version=version.version, version_id=version.id)
            for version, _, names in version_rows
            for name in names or ()
        ),
        key=lambda alias: alias.name,
    )

    dispatcher, schedule = (
        await session.execute(
            select(EventDispatcher, ScheduleSource)
            .select_from(Job)
            .outerjoin(
                EventDispatcher,
                and_(
                    EventDispatcher.dispatchable_id == Job.id,
                    EventDispatcher.environment_id == scope.id,
                ),
            )
            .outerjoin(
                ScheduleSource,
                and_(ScheduleSource.key == Job.id, ScheduleSource.environment_id == scope.id),
            )
            .where(Job.id == job.id)
        )
    ).one()
    integrations = await session.execute(
        select(
            JobIntegration.key,
            Integration.slug,
            Integration.auth_source,
            Integration.setup_status,
        )
        .join(Integration, Integration.id == JobIntegration.integration_id)
        .where(JobIntegration.version_id == latest.id)
        .order_by(JobIntegration.key)
    )
    examples = await session.scalars(
        select(EventExample)
        .where(EventExample.job_version_id == latest.id)
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
        trigger=latest.trigger,
        trigger_type=trigger_type_of(latest.trigger),
        event_names=event_names_of(latest.trigger),
        latest_version=latest.version,
        versions=tuple(versions),
        aliases=tuple(aliases),
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
