"""RegisterJob, step by step, including the v2 quirks kongflow fixes."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update

from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    Endpoint,
    EventDispatcher,
    EventExample,
    Integration,
    Job,
    JobAlias,
    JobIntegration,
    JobQueue,
    JobVersion,
    ScheduleSource,
)
from kongflow.db.session import Database
from kongflow.domain.enums import (
    ConnectionType,
    IntegrationAuthSource,
    IntegrationSetupStatus,
    JobVersionStatus,
)
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_endpoint_jobs import register_endpoint_jobs
from kongflow.services.jobs.register_job import JobRegistration, register_job
from tests.support.jobs import CRON_TRIGGER, job_metadata, make_endpoint


async def _register(
    db: Database, endpoint: Endpoint, slug: str = "order-created", **overrides: Any
) -> JobRegistration | None:
    raw = job_metadata(slug, **overrides)
    async with db.transaction() as session:
        return await register_job(session, endpoint, parse_job(raw))


async def _one(db: Database, statement: Any) -> Any:
    async with db.transaction() as session:
        return (await session.scalars(statement)).one()


async def _all(db: Database, statement: Any) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.scalars(statement)).all())


async def _dispatcher(db: Database, job_id: str) -> EventDispatcher:
    return await _one(db, select(EventDispatcher).where(EventDispatcher.dispatchable_id == job_id))


async def _latest(db: Database, job_id: str) -> JobAlias:
    return await _one(db, select(JobAlias).where(JobAlias.job_id == job_id))


async def test_static_job_registers_every_row(db: Database, endpoint: Endpoint) -> None:
    registration = await _register(db, endpoint)
    assert registration is not None and registration.created_version and registration.is_latest

    job = await _one(db, select(Job))
    assert (job.slug, job.title, job.project_id) == (
        "order-created",
        "Job order-created",
        endpoint.project_id,
    )
    version = await _one(db, select(JobVersion))
    assert version.status is JobVersionStatus.ACTIVE
    assert version.endpoint_id == endpoint.id and version.environment_id == endpoint.environment_id
    assert version.event_specification["name"] == "order.created"
    assert "examples" not in version.event_specification
    assert version.trigger is not None and version.trigger["rule"]["event"] == "order.created"
    example = await _one(db, select(EventExample))
    assert (example.slug, example.payload) == ("paid", {"status": "paid"})
    alias = await _latest(db, job.id)
    assert (alias.name, alias.value, alias.version_id) == ("latest", "1.0.0", version.id)
    dispatcher = await _dispatcher(db, job.id)
    assert dispatcher.event == ["order.created"] and dispatcher.source == "trigger.dev"
    assert dispatcher.payload_filter == {"status": ["paid"]} and dispatcher.context_filter is None
    assert dispatcher.enabled and not dispatcher.manual
    assert dispatcher.dispatchable == {"type": "JOB_VERSION", "id": version.id}


async def test_reregistering_is_idempotent(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint)
    second = await _register(db, endpoint)
    assert second is not None and not second.created_version and second.is_latest
    for model in (Job, JobVersion, JobAlias, EventDispatcher, EventExample):
        async with db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(model)) == 1, model


async def test_deleted_job_is_revived_only_by_an_enabled_registration(
    db: Database, endpoint: Endpoint
) -> None:
    registration = await _register(db, endpoint)
    assert registration is not None
    async with db.transaction() as session:
        await session.execute(update(Job).values(deleted_at=datetime.now(UTC)))

    assert await _register(db, endpoint, enabled=False, version="2.0.0") is None
    job = await _one(db, select(Job))
    assert job.deleted_at is not None
    assert len(await _all(db, select(JobVersion))) == 1

    await _register(db, endpoint)
    assert (await _one(db, select(Job))).deleted_at is None


async def test_integrations_are_created_by_auth_source_and_updated_when_code_changes(
    db: Database, endpoint: Endpoint
) -> None:
    def config(slug: str, source: str) -> dict[str, Any]:
        return {"id": slug, "metadata": {"id": slug, "name": slug.title()}, "authSource": source}

    await _register(
        db,
        endpoint,
        integrations={
            "gh": config("github", "HOSTED"),
            "slack": config("slack", "LOCAL"),
            "acme": config("acme", "RESOLVER"),
        },
    )
    rows = {row.slug: row for row in await _all(db, select(Integration))}
    assert rows["github"].setup_status is IntegrationSetupStatus.MISSING_FIELDS
    assert rows["github"].title == "github"
    assert rows["slack"].auth_source is IntegrationAuthSource.LOCAL
    assert rows["slack"].setup_status is IntegrationSetupStatus.COMPLETE
    assert rows["slack"].title == "Slack"
    assert rows["acme"].connection_type is ConnectionType.EXTERNAL
    keys = {row.key for row in await _all(db, select(JobIntegration))}
    assert keys == {"gh", "slack", "acme"}

    await _register(db, endpoint, integrations={"gh": config("github", "LOCAL")})
    github = await _one(db, select(Integration).where(Integration.slug == "github"))
    assert github.auth_source is IntegrationAuthSource.LOCAL
    assert github.setup_status is IntegrationSetupStatus.COMPLETE
    assert len(await _all(db, select(Integration))) == 3  # integrations outlive one job's use
    assert {row.key for row in await _all(db, select(JobIntegration))} == {"gh"}


async def test_concurrency_limits_are_stored_for_the_run_engine(
    db: Database, endpoint: Endpoint
) -> None:
    await _register(db, endpoint, concurrencyLimit={"id": "shared", "limit": 2})
    group = await _one(db, select(ConcurrencyLimitGroup))
    assert (group.name, group.concurrency_limit) == ("shared", 2)
    version = await _one(db, select(JobVersion))
    assert version.concurrency_limit_group_id == group.id and version.concurrency_limit is None

    await _register(db, endpoint, concurrencyLimit=3)
    version = await _one(db, select(JobVersion))
    assert version.concurrency_limit == 3 and version.concurrency_limit_group_id is None

    await _register(db, endpoint, "legacy", queue={"name": "emails", "maxConcurrent": 4})
    queue = await _one(db, select(JobQueue))
    assert (queue.name, queue.max_jobs) == ("emails", 4)
    legacy_group = await _one(
        db, select(ConcurrencyLimitGroup).where(ConcurrencyLimitGroup.name == "emails")
    )
    assert legacy_group.concurrency_limit == 4


async def test_examples_and_job_integrations_are_synced_to_the_declaration(
    db: Database, endpoint: Endpoint
) -> None:
    event = job_metadata()["event"]
    event["examples"] = [
        {"id": "a", "name": "A", "payload": {"n": 1}},
        {"id": "b", "name": "B", "icon": "star", "payload": {"n": 2}},
    ]
    await _register(db, endpoint, event=event)
    event["examples"] = [{"id": "b", "name": "B2", "payload": {"n": 3}}]
    await _register(db, endpoint, event=event)
    example = await _one(db, select(EventExample))
    assert (example.slug, example.name, example.icon, example.payload) == (
        "b",
        "B2",
        None,
        {"n": 3},
    )


async def test_latest_follows_semver_not_text_order(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, version="0.9.0")
    newer = await _register(db, endpoint, version="0.10.0")
    assert newer is not None and newer.is_latest
    job = await _one(db, select(Job))
    assert (await _latest(db, job.id)).value == "0.10.0"

    older = await _register(db, endpoint, version="0.8.0")  # an old deployment indexing late
    assert older is not None and not older.is_latest
    assert (await _latest(db, job.id)).value == "0.10.0"
    dispatcher = await _dispatcher(db, job.id)
    assert dispatcher.dispatchable["id"] == newer.version.id  # dispatcher agrees with latest


async def test_a_removed_filter_is_removed(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint)
    trigger = job_metadata()["trigger"]
    del trigger["rule"]["payload"]
    trigger["rule"]["context"] = {"env": ["prod"]}
    registration = await _register(db, endpoint, trigger=trigger)
    assert registration is not None
    dispatcher = await _dispatcher(db, registration.job.id)
    assert dispatcher.payload_filter is None
    assert dispatcher.context_filter == {"env": ["prod"]}


async def test_switching_between_schedule_and_event_triggers(
    db: Database, endpoint: Endpoint
) -> None:
    scheduled = await _register(db, endpoint, trigger=CRON_TRIGGER)
    assert scheduled is not None
    dispatcher = await _dispatcher(db, scheduled.job.id)
    assert dispatcher.manual and dispatcher.event == ["dev.trigger.scheduled"]
    schedule = await _one(db, select(ScheduleSource))
    assert schedule.active and schedule.key == scheduled.job.id
    assert schedule.schedule == {"type": "cron", "options": {"cron": "*/5 * * * *"}}
    assert schedule.next_event_timestamp is not None
    assert schedule.next_event_timestamp > datetime.now(UTC)
    assert schedule.next_event_timestamp.minute % 5 == 0

    await _register(db, endpoint)  # now an event trigger
    dispatcher = await _dispatcher(db, scheduled.job.id)
    assert not dispatcher.manual and dispatcher.event == ["order.created"]
    schedule = await _one(db, select(ScheduleSource))
    assert not schedule.active and schedule.next_event_timestamp is None


async def test_invoke_and_dynamic_jobs_have_no_live_dispatcher(
    db: Database, endpoint: Endpoint
) -> None:
    invoke = await _register(db, endpoint, "invoked", trigger={"type": "invoke"})
    assert invoke is not None
    assert await _all(db, select(EventDispatcher)) == []

    await _register(db, endpoint)  # a static job that later becomes dynamic
    registration = await _register(db, endpoint, trigger={"type": "dynamic", "id": "dyn"})
    assert registration is not None
    assert not (await _dispatcher(db, registration.job.id)).enabled


async def test_enabled_false_disables_version_dispatcher_and_schedule(
    db: Database, endpoint: Endpoint
) -> None:
    registration = await _register(db, endpoint, trigger=CRON_TRIGGER)
    assert registration is not None
    assert await _register(db, endpoint, trigger=CRON_TRIGGER, enabled=False) is None
    assert (await _one(db, select(JobVersion))).status is JobVersionStatus.DISABLED
    assert not (await _dispatcher(db, registration.job.id)).enabled
    assert not (await _one(db, select(ScheduleSource))).active

    revived = await _register(db, endpoint, trigger=CRON_TRIGGER)
    assert revived is not None and revived.is_latest
    assert (await _one(db, select(JobVersion))).status is JobVersionStatus.ACTIVE
    assert (await _dispatcher(db, registration.job.id)).enabled
    assert (await _one(db, select(ScheduleSource))).active


async def test_disabling_an_old_version_keeps_the_live_one_running(
    db: Database, endpoint: Endpoint
) -> None:
    await _register(db, endpoint, version="1.0.0")
    live = await _register(db, endpoint, version="1.1.0")
    assert live is not None
    await _register(db, endpoint, version="1.0.0", enabled=False)
    dispatcher = await _dispatcher(db, live.job.id)
    assert dispatcher.enabled and dispatcher.dispatchable["id"] == live.version.id


async def test_versions_are_per_environment(db: Database, endpoint: Endpoint) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint)
    await _register(db, prod, version="2.0.0")
    assert len(await _all(db, select(Job))) == 1
    assert len(await _all(db, select(JobVersion))) == 2
    assert {a.value for a in await _all(db, select(JobAlias))} == {"1.0.0", "2.0.0"}
    assert len(await _all(db, select(EventDispatcher))) == 2


async def test_twenty_concurrent_registrations_make_one_of_everything(
    db: Database, endpoint: Endpoint
) -> None:
    results = await asyncio.gather(*(_register(db, endpoint) for _ in range(20)))
    assert all(result is not None for result in results)
    for model in (Job, JobVersion, JobAlias, EventDispatcher, EventExample):
        async with db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(model)) == 1, model


async def test_two_hundred_jobs_with_three_invalid(db: Database, endpoint: Endpoint) -> None:
    raw = [job_metadata(f"job-{n}") for n in range(200)]
    raw[10]["version"] = ""
    raw[50]["trigger"] = {
        "type": "scheduled",
        "schedule": {"type": "interval", "options": {"seconds": 5}},
    }
    raw[150]["trigger"]["rule"]["payload"] = {"amount": [{"$between": [1]}]}

    report = await register_endpoint_jobs(db, endpoint, raw)

    assert len(report.registered) == 197
    assert [failure.job_id for failure in report.failed] == ["job-10", "job-50", "job-150"]
    assert all(failure.problems for failure in report.failed)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 197
