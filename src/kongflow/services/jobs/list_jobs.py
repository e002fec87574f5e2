"""ListJobs: the jobs of one environment, filtered and paged by slug, for the dashboard
and the management API.

A job belongs to a project but is listed in an environment only once that environment
has at least one version of it. Everything shown about the job comes from its *latest*
version in that environment: the version the ``latest`` alias names (registration keeps
it on the newest active version), or, should the alias be missing, the version
registered most recently.

Trigger type. Job versions do not store which kind of trigger the SDK declared, so it is
derived, in SQL so that it can be filtered on while paging:

* ``static`` / ``scheduled``: registration points the job's event dispatcher at the
  latest version and enables it only for these two kinds, ``manual`` (with the event
  ``dev.trigger.scheduled``) for schedules. So when the dispatcher names the latest
  version and is enabled, or is disabled only because that version is disabled,
  ``manual`` tells the two apart.
* ``invoke`` / ``dynamic``: registration disables the dispatcher (if one is left from an
  earlier kind) and creates none. Of these, ``invoke`` is recognised by the event the
  SDK's ``invokeTrigger`` always declares (name ``invoke``, source ``trigger.dev``);
  any other job without a live dispatcher is ``dynamic``.

Known blind spot: if one version string is re-registered with a dynamic or invoke
trigger after being static or scheduled, and then disabled, it is reported with its
former kind, because nothing kept per version tells them apart. Storing the declared
trigger type on ``job_versions`` would remove the guesswork.

A job's event names are its dispatcher's when the dispatcher serves the latest version
(the rule above), and empty otherwise.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import LateralFromClause

from kongflow.db.orm import (
    EventDispatcher,
    Integration,
    Job,
    JobAlias,
    JobIntegration,
    JobVersion,
)
from kongflow.domain.enums import JobVersionStatus
from kongflow.errors import InvalidRequest, ValidationFailed
from kongflow.services.jobs.register_job import LATEST

MAX_PAGE_SIZE = 100
INVOKE_EVENT = "invoke"
INVOKE_SOURCE = "trigger.dev"


class TriggerType(StrEnum):
    """How runs of a job get started, as derived from its latest version (see module doc)."""

    STATIC = "static"
    SCHEDULED = "scheduled"
    DYNAMIC = "dynamic"
    INVOKE = "invoke"


@dataclass(frozen=True)
class JobFilters:
    """Optional conditions on the listed jobs, all of which must hold."""

    search: str | None = None
    """Case-insensitive substring of the job's slug or title."""
    trigger_type: TriggerType | None = None
    event_name: str | None = None
    """An event name the job's dispatcher routes to the latest version."""
    enabled: bool | None = None
    """True: the latest version is ACTIVE; false: it is DISABLED."""
    integration: str | None = None
    """The slug of an integration the latest version uses."""
    include_deleted: bool = False


@dataclass(frozen=True)
class JobSummary:
    """One line of the jobs list."""

    slug: str
    title: str
    internal: bool
    latest_version: str
    latest_version_status: JobVersionStatus
    trigger_type: TriggerType
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


def latest_version_of_job(environment_id: str) -> LateralFromClause:
    """A LATERAL subquery, correlated to ``Job``, yielding the job's latest version in
    ``environment_id`` (columns ``id``, ``version``, ``status``, ``event_specification``).

    Inner-joined, it also keeps only jobs with a version in the environment.
    """
    return (
        select(
            JobVersion.id,
            JobVersion.version,
            JobVersion.status,
            JobVersion.event_specification,
        )
        .outerjoin(JobAlias, and_(JobAlias.version_id == JobVersion.id, JobAlias.name == LATEST))
        .where(JobVersion.job_id == Job.id, JobVersion.environment_id == environment_id)
        .order_by(JobAlias.id.is_(None), JobVersion.created_at.desc(), JobVersion.id.desc())
        .limit(1)
        .lateral("latest_version")
    )


def dispatcher_of_job(environment_id: str) -> ColumnElement[bool]:
    """The join condition from ``Job`` to its event dispatcher in ``environment_id``."""
    return and_(
        EventDispatcher.dispatchable_id == Job.id,
        EventDispatcher.environment_id == environment_id,
    )


def dispatcher_serves(latest: LateralFromClause) -> ColumnElement[bool]:
    """True when the (outer-joined) dispatcher routes events to the latest version.

    NULL when the job has no dispatcher, which SQL treats as false.
    """
    return and_(
        EventDispatcher.dispatchable.op("->>")(literal("id")) == latest.c.id,
        or_(EventDispatcher.enabled, latest.c.status == JobVersionStatus.DISABLED),
    )


def trigger_type_of(latest: LateralFromClause) -> ColumnElement[str]:
    """The job's trigger type as SQL (one ``TriggerType`` value), per the module doc."""
    specification = latest.c.event_specification
    serves = dispatcher_serves(latest)
    return case(
        (and_(serves, EventDispatcher.manual), TriggerType.SCHEDULED.value),
        (serves, TriggerType.STATIC.value),
        (
            and_(
                specification.op("->>")(literal("name")) == INVOKE_EVENT,
                func.coalesce(specification.op("->>")(literal("source")), INVOKE_SOURCE)
                == INVOKE_SOURCE,
            ),
            TriggerType.INVOKE.value,
        ),
        else_=TriggerType.DYNAMIC.value,
    )


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
    *,
    project_id: str,
    environment_id: str,
    filters: JobFilters,
    cursor: str | None,
    limit: int,
) -> JobPage:
    """One page of the project's jobs that have a version in ``environment_id``, in slug
    order, starting after ``cursor`` (from a previous page's ``next_cursor``).

    One query per call. Raises ValidationFailed when ``limit`` is outside 1..100 and
    InvalidRequest for a malformed cursor.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(
            f"limit must be between 1 and {MAX_PAGE_SIZE}.",
            code="invalid_limit",
            details=[{"field": "limit", "value": limit}],
        )
    latest = latest_version_of_job(environment_id)
    serves = dispatcher_serves(latest)
    trigger_type = trigger_type_of(latest)
    event_names = case((serves, EventDispatcher.event))  # NULL when it serves another version
    integration_slugs = (
        select(func.array_agg(Integration.slug))
        .join(JobIntegration, JobIntegration.integration_id == Integration.id)
        .where(JobIntegration.version_id == latest.c.id)
        .scalar_subquery()
    )
    statement = (
        select(
            Job,
            latest.c.version,
            latest.c.status,
            trigger_type,
            event_names,
            integration_slugs,
        )
        .select_from(Job)
        .join(latest, true())
        .outerjoin(EventDispatcher, dispatcher_of_job(environment_id))
        .where(Job.project_id == project_id)
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
        statement = statement.where(trigger_type == filters.trigger_type.value)
    if filters.event_name is not None:
        statement = statement.where(serves, EventDispatcher.event.contains([filters.event_name]))
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
            trigger_type=TriggerType(kind),
            event_names=tuple(names or ()),
            enabled=status is JobVersionStatus.ACTIVE,
            integration_slugs=tuple(sorted(set(slugs or ()))),
            created_at=job.created_at,
            updated_at=job.updated_at,
            deleted_at=job.deleted_at,
        )
        for job, version, status, kind, names, slugs in rows[:limit]
    )
    next_cursor = encode_cursor(items[-1].slug) if len(rows) > limit else None
    return JobPage(items=items, next_cursor=next_cursor)
