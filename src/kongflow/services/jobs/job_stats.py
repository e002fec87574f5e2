"""JobStats: how a job's runs have been going in one environment lately: runs per
status, success rate, typical durations, and its most recent run.

Computed by PostgreSQL over the ``(job_id, environment_id, created_at)`` index of
``runs``, so the cost follows the runs inside the window, not the job's whole history.
Durations are interpolated by ``percentile_cont`` on the ``completed_at - started_at``
intervals themselves (exact to the microsecond), then expressed in milliseconds.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Float, cast, extract, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Run
from kongflow.domain.enums import RunStatus
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import ValidationFailed
from kongflow.services.jobs.find_job import find_job

# Outcomes that count towards the success rate; CANCELED runs were stopped on purpose
# and unfinished runs have no outcome yet.
FINISHED_STATUSES = (
    RunStatus.SUCCESS,
    RunStatus.FAILURE,
    RunStatus.TIMED_OUT,
    RunStatus.ABORTED,
    RunStatus.INVALID_PAYLOAD,
    RunStatus.UNRESOLVED_AUTH,
)


@dataclass(frozen=True)
class LastRun:
    """The job's most recent run in the environment."""

    id: str
    status: RunStatus
    created_at: datetime


@dataclass(frozen=True)
class JobStats:
    """Run statistics of a job over runs created in ``[window_start, window_end]``.

    ``runs_by_status`` has every RunStatus (0 when none). ``success_rate`` is SUCCESS
    over the finished outcomes (FINISHED_STATUSES), None without any. Durations are in
    milliseconds over the runs with both ``started_at`` and ``completed_at``, None when
    there are none. ``last_run`` is across all time, not just the window.
    """

    slug: str
    window_start: datetime
    window_end: datetime
    runs_by_status: dict[RunStatus, int]
    total_runs: int
    success_rate: float | None
    p50_duration_ms: float | None
    p95_duration_ms: float | None
    last_run: LastRun | None


async def job_stats(
    session: AsyncSession,
    scope: EnvironmentScope,
    slug: str,
    *,
    window: timedelta,
    now: datetime,
    include_deleted: bool = False,
) -> JobStats:
    """Statistics of job ``slug``'s runs in ``scope``'s environment created within
    ``window`` up to ``now``.

    Two queries: the job, then the window's aggregates together with the last run.
    Raises ValidationFailed (``invalid_window``) when ``window`` is not positive and
    NotFound(job_not_found) when the job is not visible in the environment.
    """
    if window <= timedelta(0):
        raise ValidationFailed("The window must be a positive duration.", code="invalid_window")
    window_start = now - window
    job = (await find_job(session, scope, slug, include_deleted=include_deleted)).job

    statuses = list(RunStatus)
    aggregates = (
        select(
            _duration_percentile_ms(0.5).label("p50"),
            _duration_percentile_ms(0.95).label("p95"),
            *(
                func.count().filter(Run.status == status).label(f"n{index}")
                for index, status in enumerate(statuses)
            ),
        )
        .where(
            Run.job_id == job.id,
            Run.environment_id == scope.id,
            Run.created_at >= window_start,
            Run.created_at <= now,
        )
        .subquery("window_runs")
    )
    last = (
        select(Run.id, Run.status, Run.created_at)
        .where(Run.job_id == job.id, Run.environment_id == scope.id)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(1)
        .subquery("last_run")
    )
    row = (
        await session.execute(
            select(aggregates, last.c.id, last.c.status, last.c.created_at)
            .select_from(aggregates)
            .outerjoin(last, true())
        )
    ).one()
    p50, p95, *counts, last_id, last_status, last_created_at = row
    runs_by_status = dict(zip(statuses, (int(count) for count in counts), strict=True))
    finished = sum(runs_by_status[status] for status in FINISHED_STATUSES)
    return JobStats(
        slug=slug,
        window_start=window_start,
        window_end=now,
        runs_by_status=runs_by_status,
        total_runs=sum(runs_by_status.values()),
        success_rate=runs_by_status[RunStatus.SUCCESS] / finished if finished else None,
        p50_duration_ms=p50,
        p95_duration_ms=p95,
        last_run=(
            LastRun(id=last_id, status=last_status, created_at=last_created_at)
            if last_id is not None
            else None
        ),
    )


def _duration_percentile_ms(fraction: float) -> ColumnElement[float]:
    duration = Run.completed_at - Run.started_at  # NULL, hence ignored, unless both are set
    interval = func.percentile_cont(fraction).within_group(duration)
    return cast(extract("epoch", interval) * 1000, Float)
