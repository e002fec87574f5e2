"""JobStats: run counts, success rate and duration percentiles over a window."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Endpoint, EventRecord, Job, Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound, ValidationFailed
from kongflow.services.jobs.job_stats import JobStats, LastRun, job_stats
from kongflow.services.jobs.register_job import JobRegistration, register_job
from tests.support.jobs import count_queries, job_metadata, make_endpoint, scope_of

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def scope(db: Database, endpoint: Endpoint) -> EnvironmentScope:
    return await scope_of(db)


async def _register(
    db: Database, endpoint: Endpoint, slug: str = "order-created"
) -> JobRegistration:
    async with db.transaction() as session:
        registration = await register_job(session, endpoint, parse_job(job_metadata(slug)))
    assert registration is not None
    return registration


def _add_run(
    session: AsyncSession,
    registration: JobRegistration,
    endpoint: Endpoint,
    status: RunStatus,
    *,
    created_ago: timedelta,
    duration_ms: float | None = None,
    started: bool | None = None,
) -> Run:
    """A run created ``created_ago`` before NOW; ``duration_ms`` sets started and completed."""
    created_at = NOW - created_ago
    event_record = EventRecord(
        event_id=str(uuid.uuid4()),
        name="order.created",
        payload={},
        organization_id=endpoint.organization_id,
        environment_id=endpoint.environment_id,
        project_id=endpoint.project_id,
    )
    session.add(event_record)
    fields: dict[str, Any] = {}
    if duration_ms is not None:
        fields["started_at"] = created_at + timedelta(seconds=1)
        fields["completed_at"] = fields["started_at"] + timedelta(milliseconds=duration_ms)
    elif started:
        fields["started_at"] = created_at + timedelta(seconds=1)
    run = Run(
        job_id=registration.job.id,
        version_id=registration.version.id,
        event=event_record,
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        environment_id=endpoint.environment_id,
        project_id=endpoint.project_id,
        status=status,
        created_at=created_at,
        **fields,
    )
    session.add(run)
    return run


async def _stats(
    db: Database,
    scope: EnvironmentScope,
    slug: str = "order-created",
    *,
    window: timedelta = DAY,
    now: datetime = NOW,
    include_deleted: bool = False,
) -> JobStats:
    async with db.transaction() as session:
        return await job_stats(
            session, scope, slug, window=window, now=now, include_deleted=include_deleted
        )


async def test_counts_rate_and_percentiles_of_a_known_set(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    job = await _register(db, endpoint)
    prod = await make_endpoint(db, "prod")
    prod_job = await _register(db, prod)
    async with db.transaction() as session:
        # completed runs in the window: 100..500 ms
        for hours, ms in [(1, 300), (2, 100), (3, 500), (4, 200)]:
            _add_run(
                session,
                job,
                endpoint,
                RunStatus.SUCCESS,
                created_ago=timedelta(hours=hours),
                duration_ms=ms,
            )
        _add_run(
            session,
            job,
            endpoint,
            RunStatus.FAILURE,
            created_ago=timedelta(hours=5),
            duration_ms=400,
        )
        # finished or running without a duration
        _add_run(session, job, endpoint, RunStatus.TIMED_OUT, created_ago=timedelta(hours=6))
        _add_run(session, job, endpoint, RunStatus.CANCELED, created_ago=timedelta(hours=7))
        latest = _add_run(
            session,
            job,
            endpoint,
            RunStatus.EXECUTING,
            created_ago=timedelta(minutes=1),
            started=True,
        )
        # outside the window, or in another environment: not counted
        _add_run(session, job, endpoint, RunStatus.SUCCESS, created_ago=2 * DAY, duration_ms=90_000)
        _add_run(session, job, endpoint, RunStatus.FAILURE, created_ago=DAY + timedelta(seconds=1))
        _add_run(
            session,
            prod_job,
            prod,
            RunStatus.FAILURE,
            created_ago=timedelta(seconds=1),
            duration_ms=7,
        )

    with count_queries(db) as statements:
        stats = await _stats(db, scope)

    assert len(statements) == 2
    assert stats.slug == "order-created"
    assert (stats.window_start, stats.window_end) == (NOW - DAY, NOW)
    assert set(stats.runs_by_status) == set(RunStatus)
    assert {status: n for status, n in stats.runs_by_status.items() if n} == {
        RunStatus.SUCCESS: 4,
        RunStatus.FAILURE: 1,
        RunStatus.TIMED_OUT: 1,
        RunStatus.CANCELED: 1,
        RunStatus.EXECUTING: 1,
    }
    assert stats.total_runs == 8
    assert stats.success_rate == 4 / 6  # CANCELED and EXECUTING are not outcomes
    assert stats.p50_duration_ms == 300.0
    assert stats.p95_duration_ms == 480.0  # 400 + 0.8 * (500 - 400)
    assert stats.last_run == LastRun(
        id=latest.id, status=RunStatus.EXECUTING, created_at=latest.created_at
    )


async def test_percentiles_keep_sub_millisecond_precision(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    job = await _register(db, endpoint)
    async with db.transaction() as session:
        _add_run(
            session,
            job,
            endpoint,
            RunStatus.SUCCESS,
            created_ago=timedelta(hours=1),
            duration_ms=1.5,
        )
        _add_run(
            session, job, endpoint, RunStatus.SUCCESS, created_ago=timedelta(hours=2), duration_ms=2
        )

    stats = await _stats(db, scope)

    assert stats.p50_duration_ms == 1.75
    assert stats.p95_duration_ms == pytest.approx(1.975)


async def test_a_job_without_runs(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)

    stats = await _stats(db, scope)

    assert stats.total_runs == 0 and set(stats.runs_by_status.values()) == {0}
    assert len(stats.runs_by_status) == len(RunStatus)
    assert stats.success_rate is None
    assert stats.p50_duration_ms is None and stats.p95_duration_ms is None
    assert stats.last_run is None


async def test_no_finished_runs_means_no_success_rate(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    job = await _register(db, endpoint)
    async with db.transaction() as session:
        _add_run(session, job, endpoint, RunStatus.CANCELED, created_ago=timedelta(hours=1))
        _add_run(session, job, endpoint, RunStatus.QUEUED, created_ago=timedelta(hours=2))

    stats = await _stats(db, scope)

    assert stats.total_runs == 2 and stats.success_rate is None


async def test_window_moves_with_now_but_last_run_is_of_all_time(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    job = await _register(db, endpoint)
    async with db.transaction() as session:
        old = _add_run(
            session, job, endpoint, RunStatus.SUCCESS, created_ago=3 * DAY, duration_ms=50
        )
        _add_run(session, job, endpoint, RunStatus.FAILURE, created_ago=4 * DAY)

    recent = await _stats(db, scope)
    assert recent.total_runs == 0 and recent.p50_duration_ms is None
    assert recent.last_run is not None and recent.last_run.id == old.id

    week = await _stats(db, scope, window=7 * DAY)
    assert week.total_runs == 2 and week.success_rate == 0.5
    assert week.p50_duration_ms == 50.0

    then = await _stats(db, scope, now=NOW - 3 * DAY)  # the window ends at `now`
    assert then.total_runs == 2
    assert then.runs_by_status[RunStatus.SUCCESS] == 1


async def test_runs_of_other_jobs_are_not_counted(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    job = await _register(db, endpoint)
    other = await _register(db, endpoint, "other-job")
    async with db.transaction() as session:
        _add_run(session, job, endpoint, RunStatus.SUCCESS, created_ago=timedelta(hours=1))
        _add_run(session, other, endpoint, RunStatus.FAILURE, created_ago=timedelta(hours=1))

    stats = await _stats(db, scope)

    assert stats.total_runs == 1 and stats.success_rate == 1.0


async def test_unknown_deleted_or_foreign_jobs_are_not_found(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, prod, "prod-only")
    await _register(db, endpoint, "deleted")
    async with db.transaction() as session:
        await session.execute(update(Job).where(Job.slug == "deleted").values(deleted_at=NOW))

    for slug in ("prod-only", "deleted", "no-such-job"):
        with pytest.raises(NotFound) as error:
            await _stats(db, scope, slug)
        assert error.value.code == "job_not_found"
    assert (await _stats(db, scope, "deleted", include_deleted=True)).total_runs == 0


async def test_window_must_be_positive(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)
    with pytest.raises(ValidationFailed):
        await _stats(db, scope, window=timedelta(0))
