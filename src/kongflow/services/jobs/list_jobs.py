"""ListJobs: the jobs of one environment, filtered and paged by slug, for the dashboard
and the management API.

A job belongs to a project but is listed in an environment only once that environment
has at least one version of it. Everything shown about the job comes from its *latest*
version in that environment: the version the ``latest`` alias names (registration keeps
it on the newest active version), or, should the alias be missing, the version
registered most recently.

The trigger is read from the latest version's stored ``trigger``, the wire form the SDK
declared (``{"type": "static" | "scheduled" | "dynamic" | "invoke", ...}``), so the
trigger type is exact. Versions registered before kongflow stored it (``trigger`` NULL)
have no known type: ``None``, and no trigger-type filter matches them.

A job's event names come from the same trigger: the rule's ``event`` (a string or a
list) for a static trigger, ``dev.trigger.scheduled`` for a scheduled one, none for
the others. The ``event_name`` filter tests that same stored trigger, not the event
dispatcher's GIN-indexed ``event`` array. The query walks the project's jobs in slug
order, a page at a time, and fetches each one's latest version anyway, so the test
costs no extra lookup; the dispatcher's index would pay off only for a rare event
among very many jobs, and would need an extra join and a check that the dispatcher
serves the latest version to agree with the names shown.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import LateralFromClause

from kongflow.db.orm import Integration, Job, JobAlias, JobIntegration, JobVersion
from kongflow.domain.enums import JobVersionStatus
from kongflow.domain.schedules import SCHEDULED_EVENT
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import InvalidRequest, ValidationFailed
from kongflow.services.jobs.find_job import LATEST

MAX_PAGE_SIZE = 100


class TriggerType(StrEnum):
    """How runs of a job get started: the ``type`` of the trigger its version declared."""

    STATIC = "static"
    SCHEDULED = "scheduled"
    DYNAMIC = "dynamic"
    INVOKE = "invoke"


def trigger_type_of(trigger: dict[str, Any] | None) -> TriggerType | None:
    """The type of a stored trigger; None for a version registered before it was kept."""
    return None if trigger is None else TriggerType(trigger["type"])


def event_names_of(trigger: dict[str, Any] | None) -> tuple[str, ...]:
    """The event names a stored trigger listens to (see the module doc)."""
    kind = trigger_type_of(trigger)
    if kind is TriggerType.SCHEDULED:
        return (SCHEDULED_EVENT,)
    if kind is not TriggerType.STATIC or trigger is None:
        return ()
    event = trigger["rule"]["event"]
    return (event,) if isinstance(event, str) else tuple(event)


@dataclass(frozen=True)
class JobFilters:
    """Optional conditions on the listed jobs, all of which must hold."""

    search: str | None = None
    """Case-insensitive substring of the job's slug or title."""
    trigger_type: TriggerType | None = None
    event_name: str | None = None
    """An event name the latest version's trigger listens to (see the module doc)."""
    enabled: bool | None = None
    """True: the latest version is ACTIVE; false: it is DISABLED."""
    integration: str | None = None
    """The slug of an integration the latest version uses."""
    include_deleted: bool = False


@dataclass(frozen=True)
class JobSummary:
    """One line of the jobs list. ``trigger_type`` is None when the latest version was
    registered before triggers were stored."""

    slug: str
    title: str
    internal: bool
    latest_version: str
    latest_version_status: JobVersionStatus
    trigger_type: TriggerType | None
    event_names: tuple[str, ...]
    enabled: bool
    integration_slugs: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True)
class JobPage:
    """A page of jobs in slug order; ``next_cursor`` is None on the last page."""

    items: tuple[JobSummary, ...]
    next_cursor: str | None


def _latest_version(environment_id: str) -> LateralFromClause:
    """A LATERAL subquery, correlated to ``Job``, yielding the job's latest version in
    the environment; inner-joined, it also drops jobs without a version there."""
    return (
        select(JobVersion.id, JobVersion.version, JobVersion.status, JobVersion.trigger)
        .outerjoin(JobAlias, and_(JobAlias.version_id == JobVersion.id, JobAlias.name == LATEST))
        .where(JobVersion.job_id == Job.id, JobVersion.environment_id == environment_id)
        .order_by(JobAlias.id.is_(None), JobVersion.created_at.desc(), JobVersion.id.desc())
        .limit(1)
        .lateral("latest_version")
    )


def _listens_to(trigger: ColumnElement[Any], event_name: str) -> ColumnElement[bool]:
    """SQL twin of :func:`event_names_of`: the stored trigger listens to ``event_name``.

    JSONB containment of a string matches the rule's ``event`` whether it is that
    string or a list holding it.
    """
    static = and_(
        trigger["type"].astext == TriggerType.STATIC.value,
        trigger[("rule", "event")].contains(literal(event_name, JSONB)),
    )
    scheduled = (
        trigger["type"].astext == TriggerType.SCHEDULED.value
        if event_name == SCHEDULED_EVENT
        else false()
    )
    return or_(static, scheduled)


def encode_cursor(slug: str) -> str:
    """The opaque cursor that resumes a listing after ``slug``."""
    return base64.urlsafe_b64encode(slug.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The slug a cursor resumes after; InvalidRequest when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        slug = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (ValueError, binascii.Error) as exc:  # UnicodeError is a ValueError
        raise InvalidRequest("The cursor is not valid.", code="invalid_cursor") from exc
    if not slug:
        raise InvalidRequest("The cursor is not valid.", code="invalid_cursor")
    return slug


async def list_jobs(
    session: AsyncSession,
    scope: EnvironmentScope,
    *,
    filters: JobFilters,
    cursor: str | None,
    limit: int,
) -> JobPage:
    """One page of the jobs that have a version in ``scope``'s environment, in slug
    order, starting after ``cursor`` (from a previous page's ``next_cursor``).

    One query per call. Raises ValidationFailed (``invalid_limit``) when ``limit`` is
    outside 1..100 and InvalidRequest (``invalid_cursor``) for a malformed cursor.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_PAGE_SIZE}.",
            code="invalid_limit",
            details=[{"field": "limit", "value": limit}],
        )
    latest = _latest_version(scope.id)
    trigger = latest.c.trigger
    integration_slugs = (
        select(func.array_agg(Integration.slug))
        .join(JobIntegration, JobIntegration.integration_id == Integration.id)
        .where(JobIntegration.version_id == latest.c.id)
        .scalar_subquery()
    )
    statement = (
        select(Job, latest.c.version, latest.c.status, latest.c.trigger, integration_slugs)
        .select_from(Job)
        .join(latest, true())
        .where(Job.project_id == scope.project_id)
        .order_by(Job.slug)
        .limit(limit + 1)
    )
    if cursor is not None:
        statement = statement.where(Job.slug > decode_cursor(cursor))
    if not filters.include_deleted:
        statement = statement.where(Job.deleted_at.is_(None))
    if filters.search:
        statement = statement.where(
            or_(
                Job.slug.icontains(filters.search, autoescape=True),
                Job.title.icontains(filters.search, autoescape=True),
            )
        )
    if filters.trigger_type is not None:
        statement = statement.where(trigger["type"].astext == filters.trigger_type.value)
    if filters.event_name is not None:
        statement = statement.where(_listens_to(trigger, filters.event_name))
    if filters.enabled is not None:
        wanted = JobVersionStatus.ACTIVE if filters.enabled else JobVersionStatus.DISABLED
        statement = statement.where(latest.c.status == wanted)
    if filters.integration is not None:
        statement = statement.where(
            exists().where(
                JobIntegration.version_id == latest.c.id,
                JobIntegration.integration_id == Integration.id,
                Integration.slug == filters.integration,
            )
        )

    rows = (await session.execute(statement)).all()
    items = tuple(
        JobSummary(
            slug=job.slug,
            title=job.title,
            internal=job.internal,
            latest_version=version,
            latest_version_status=status,
            trigger_type=trigger_type_of(declared),
            event_names=event_names_of(declared),
            enabled=status is JobVersionStatus.ACTIVE,
            integration_slugs=tuple(sorted(set(slugs or ()))),
            created_at=job.created_at,
            updated_at=job.updated_at,
            deleted_at=job.deleted_at,
        )
        for job, version, status, declared, slugs in rows[:limit]
    )
    next_cursor = encode_cursor(items[-1].slug) if len(rows) > limit else None
    return JobPage(items=items, next_cursor=next_cursor)
