"""ReadJob: a job's versions, aliases, dispatcher, schedule, integrations and examples in
one environment, and who may not see it."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, update

from kongflow.db.orm import Endpoint, Job, JobAlias, JobVersion
from kongflow.db.session import Database
from kongflow.domain.enums import IntegrationAuthSource, IntegrationSetupStatus, JobVersionStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound
from kongflow.services.jobs.list_jobs import JobFilters, TriggerType, list_jobs
from kongflow.services.jobs.read_job import JobAliasTarget, JobDetail, read_job
from kongflow.services.jobs.register_job import register_job
from kongflow.services.jobs.rollback_job import rollback_job
from tests.support.jobs import (
    CRON_TRIGGER,
    count_queries,
    job_metadata,
    make_endpoint,
    make_other_project_endpoint,
    scope_of,
)

SCHEDULE_EVENT = {"name": "trigger.scheduled", "title": "Cron Schedule", "source": "trigger.dev"}
INVOKE_EVENT = {"name": "invoke", "title": "Manual Invoke", "source": "trigger.dev"}


@pytest.fixture
async def scope(db: Database, endpoint: Endpoint) -> EnvironmentScope:
    return await scope_of(db)


async def _register(
    db: Database, endpoint: Endpoint, slug: str = "order-created", **overrides: Any
) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug, **overrides)))


async def _read(
    db: Database,
    scope: EnvironmentScope,
    slug: str = "order-created",
    *,
    include_deleted: bool = False,
) -> JobDetail:
    async with db.transaction() as session:
        return await read_job(session, scope, slug, include_deleted=include_deleted)


async def test_static_job_in_full(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    event = job_metadata()["event"]
    event["examples"].append(
        {"id": "big", "name": "Big order", "icon": "cash", "payload": {"n": 9}}
    )
    await _register(db, endpoint, version="0.9.0", concurrencyLimit={"id": "shared", "limit": 2})
    await _register(
        db,
        endpoint,
        version="0.10.0",
        event=event,
        concurrencyLimit=3,
        integrations={
            "gh": {"id": "github", "metadata": {"id": "github", "name": "GitHub"}},
            "chat": {
                "id": "slack",
                "metadata": {"id": "slack", "name": "Slack"},
                "authSource": "LOCAL",
            },
        },
    )
    await _register(db, endpoint, version="0.8.0")  # an old deployment indexing late

    with count_queries(db) as statements:
        job = await _read(db, scope)

    assert len(statements) == 5
    assert (job.slug, job.title, job.internal, job.deleted_at) == (
        "order-created",
        "Job order-created",
        False,
        None,
    )
    assert job.trigger_type is TriggerType.STATIC
    assert job.trigger is not None and job.trigger["rule"] == {
        "event": "order.created",
        "source": "trigger.dev",
        "payload": {"status": ["paid"]},
        "context": None,
    }
    assert job.event_names == ("order.created",)
    assert job.latest_version == "0.10.0"
    assert [v.version for v in job.versions] == ["0.10.0", "0.9.0", "0.8.0"]  # semver, not text
    newest, middle, _ = job.versions
    assert (newest.concurrency_limit, newest.concurrency_limit_group) == (3, None)
    assert (middle.concurrency_limit, middle.concurrency_limit_group) == (None, "shared")
    assert all(v.status is JobVersionStatus.ACTIVE for v in job.versions)
    assert all(v.endpoint_id == endpoint.id and not v.preprocess_runs for v in job.versions)
    assert job.aliases == (JobAliasTarget(name="latest", version="0.10.0", version_id=newest.id),)

    dispatcher = job.dispatcher
    assert dispatcher is not None
    assert dispatcher.event == ("order.created",) and dispatcher.source == "trigger.dev"
    assert dispatcher.payload_filter == {"status": ["paid"]} and dispatcher.context_filter is None
    assert dispatcher.enabled and not dispatcher.manual
    assert (dispatcher.version, dispatcher.version_id) == ("0.10.0", newest.id)
    assert job.schedule is None

    assert [(i.key, i.slug, i.auth_source, i.setup_status) for i in job.integrations] == [
        ("chat", "slack", IntegrationAuthSource.LOCAL, IntegrationSetupStatus.COMPLETE),
        ("gh", "github", IntegrationAuthSource.HOSTED, IntegrationSetupStatus.MISSING_FIELDS),
    ]
    assert [(e.slug, e.name, e.icon, e.payload) for e in job.examples] == [
        ("big", "Big order", "cash", {"n": 9}),
        ("paid", "Paid order", None, {"status": "paid"}),
    ]


async def test_scheduled_job_shows_its_schedule(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)

    job = await _read(db, scope)

    assert job.trigger_type is TriggerType.SCHEDULED
    assert job.trigger == CRON_TRIGGER | {
        "schedule": CRON_TRIGGER["schedule"] | {"accountId": None, "metadata": None}
    }
    assert job.event_names == ("dev.trigger.scheduled",)
    assert job.dispatcher is not None and job.dispatcher.manual
    assert job.dispatcher.event == ("dev.trigger.scheduled",)
    assert job.schedule is not None
    assert job.schedule.schedule == {"type": "cron", "options": {"cron": "*/5 * * * *"}}
    assert job.schedule.active and job.schedule.last_event_timestamp is None
    assert job.schedule.next_event_timestamp is not None
    assert job.schedule.next_event_timestamp > datetime.now(UTC)

    await _register(db, endpoint, version="2.0.0")  # now an event trigger

    job = await _read(db, scope)
    assert job.trigger_type is TriggerType.STATIC
    assert job.schedule is not None and not job.schedule.active
    assert job.schedule.next_event_timestamp is None


async def test_invoke_and_dynamic_jobs_have_no_dispatcher(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, "invoked", event=INVOKE_EVENT, trigger={"type": "invoke"})
    await _register(db, endpoint, "dynamic", trigger={"type": "dynamic", "id": "dyn"})

    invoked = await _read(db, scope, "invoked")
    dynamic = await _read(db, scope, "dynamic")

    assert invoked.trigger_type is TriggerType.INVOKE and invoked.trigger == {"type": "invoke"}
    assert dynamic.trigger_type is TriggerType.DYNAMIC
    assert dynamic.trigger == {"type": "dynamic", "id": "dyn"}
    for job in (invoked, dynamic):
        assert job.dispatcher is None and job.schedule is None and job.event_names == ()


async def test_same_version_re_registered_with_each_trigger_type(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)
    await _register(db, endpoint, trigger={"type": "dynamic", "id": "dyn"})
    job = await _read(db, scope)
    assert job.trigger_type is TriggerType.DYNAMIC and job.event_names == ()
    # the static version's dispatcher is left behind, stopped
    assert job.dispatcher is not None and not job.dispatcher.enabled

    await _register(db, endpoint, trigger={"type": "dynamic", "id": "dyn"}, enabled=False)
    job = await _read(db, scope)
    assert job.trigger_type is TriggerType.DYNAMIC
    assert job.versions[0].status is JobVersionStatus.DISABLED

    await _register(db, endpoint, event=INVOKE_EVENT, trigger={"type": "invoke"})
    assert (await _read(db, scope)).trigger_type is TriggerType.INVOKE
    await _register(db, endpoint, event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)
    assert (await _read(db, scope)).trigger_type is TriggerType.SCHEDULED
    await _register(db, endpoint)
    job = await _read(db, scope)
    assert job.trigger_type is TriggerType.STATIC and [v.version for v in job.versions] == ["1.0.0"]


async def test_a_version_without_a_stored_trigger(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)
    async with db.transaction() as session:  # as registered before migration 0002
        await session.execute(update(JobVersion).values(trigger=None))

    job = await _read(db, scope)

    assert job.trigger is None and job.trigger_type is None and job.event_names == ()
    assert job.dispatcher is not None and job.dispatcher.event == ("order.created",)


async def test_disabled_latest_version(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)
    await _register(db, endpoint, enabled=False)

    job = await _read(db, scope)

    assert job.versions[0].status is JobVersionStatus.DISABLED
    assert job.trigger_type is TriggerType.STATIC
    assert job.dispatcher is not None and not job.dispatcher.enabled


async def test_latest_follows_a_rollback(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, version="1.0.0")
    await _register(db, endpoint, version="2.0.0", trigger={"type": "dynamic", "id": "dyn"})
    async with db.transaction() as session:
        await rollback_job(session, scope, "order-created", "1.0.0")

    job = await _read(db, scope)

    assert job.latest_version == "1.0.0" and job.trigger_type is TriggerType.STATIC
    assert [v.version for v in job.versions] == ["2.0.0", "1.0.0"]
    assert [(alias.name, alias.version) for alias in job.aliases] == [("latest", "1.0.0")]


async def test_without_a_latest_alias_the_last_registered_version_is_latest(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, version="2.0.0")
    await _register(db, endpoint, version="1.0.0", trigger={"type": "invoke"})
    async with db.transaction() as session:
        await session.execute(delete(JobAlias))

    job = await _read(db, scope)
    async with db.transaction() as session:
        (listed,) = (
            await list_jobs(session, scope, filters=JobFilters(), cursor=None, limit=10)
        ).items

    assert (job.latest_version, job.trigger_type, job.aliases) == ("1.0.0", TriggerType.INVOKE, ())
    assert (listed.latest_version, listed.trigger_type) == ("1.0.0", TriggerType.INVOKE)


async def test_each_environment_sees_its_own_versions(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint, version="1.0.0")
    await _register(db, prod, version="2.0.0")

    dev_job = await _read(db, scope)
    prod_job = await _read(db, await scope_of(db, "prod"))

    assert dev_job.id == prod_job.id
    assert [v.version for v in dev_job.versions] == ["1.0.0"]
    assert [v.version for v in prod_job.versions] == ["2.0.0"]
    assert prod_job.dispatcher is not None and prod_job.dispatcher.version == "2.0.0"


async def test_job_without_a_version_in_the_environment_is_not_found(
    db: Database, scope: EnvironmentScope
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, prod)

    with pytest.raises(NotFound) as error:
        await _read(db, scope)
    assert error.value.code == "job_not_found"


async def test_another_projects_job_is_not_found(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    other = await make_other_project_endpoint(db, endpoint.organization_id)
    other_scope = await scope_of(db, project_id=other.project_id)
    await _register(db, other, "theirs")

    assert (await _read(db, other_scope, "theirs")).slug == "theirs"
    with pytest.raises(NotFound) as error:
        await _read(db, scope, "theirs")
    assert error.value.code == "job_not_found"
    with pytest.raises(NotFound):  # their environment, our project
        await _read(db, dataclasses.replace(other_scope, project_id=scope.project_id), "theirs")


async def test_unknown_job_is_not_found(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)
    with pytest.raises(NotFound) as error:
        await _read(db, scope, "no-such-job")
    assert error.value.code == "job_not_found"


async def test_deleted_job_is_found_only_when_asked_for(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint)
    deleted_at = datetime(2024, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(update(Job).values(deleted_at=deleted_at))

    with pytest.raises(NotFound):
        await _read(db, scope)
    job = await _read(db, scope, include_deleted=True)
    assert job.deleted_at == deleted_at and job.latest_version == "1.0.0"
