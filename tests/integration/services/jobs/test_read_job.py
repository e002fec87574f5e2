"""ReadJob: a job's versions, aliases, dispatcher, schedule, integrations and examples in
one environment, and who may not see it."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from kongflow.db.orm import Endpoint, Environment, Job, Project
from kongflow.db.session import Database
from kongflow.domain.enums import IntegrationAuthSource, IntegrationSetupStatus, JobVersionStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.errors import NotFound
from kongflow.services.jobs.list_jobs import TriggerType
from kongflow.services.jobs.read_job import JobAliasTarget, JobDetail, read_job
from kongflow.services.jobs.register_job import register_job
from tests.support.jobs import CRON_TRIGGER, job_metadata, make_endpoint

SCHEDULE_EVENT = {"name": "trigger.scheduled", "title": "Cron Schedule", "source": "trigger.dev"}


async def _register(
    db: Database, endpoint: Endpoint, slug: str = "order-created", **overrides: Any
) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug, **overrides)))


async def _read(
    db: Database,
    endpoint: Endpoint,
    slug: str = "order-created",
    *,
    project_id: str | None = None,
    include_deleted: bool = False,
) -> JobDetail:
    async with db.transaction() as session:
        return await read_job(
            session,
            project_id=project_id or endpoint.project_id,
            environment_id=endpoint.environment_id,
            slug=slug,
            include_deleted=include_deleted,
        )


async def _other_project_endpoint(db: Database, organization_id: str) -> Endpoint:
    async with db.transaction() as session:
        project = Project(slug="other-project", name="Other", organization_id=organization_id)
        session.add(project)
        await session.flush()
        environment = Environment(
            slug="dev",
            api_key_hash="other-hash",
            api_key_ciphertext="other-ciphertext",
            pk_api_key="pk_other",
            shortcode="other",
            organization_id=organization_id,
            project_id=project.id,
        )
        session.add(environment)
        await session.flush()
        endpoint = Endpoint(
            slug="other-app",
            url="http://127.0.0.1:9/other-app",
            environment_id=environment.id,
            organization_id=organization_id,
            project_id=project.id,
        )
        session.add(endpoint)
    return endpoint


async def test_static_job_in_full(db: Database, endpoint: Endpoint) -> None:
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

    job = await _read(db, endpoint)

    assert (job.slug, job.title, job.internal, job.deleted_at) == (
        "order-created",
        "Job order-created",
        False,
        None,
    )
    assert job.trigger_type is TriggerType.STATIC
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


async def test_scheduled_job_shows_its_schedule(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)

    job = await _read(db, endpoint)

    assert job.trigger_type is TriggerType.SCHEDULED
    assert job.dispatcher is not None and job.dispatcher.manual
    assert job.dispatcher.event == ("dev.trigger.scheduled",)
    assert job.schedule is not None
    assert job.schedule.schedule == {"type": "cron", "options": {"cron": "*/5 * * * *"}}
    assert job.schedule.active and job.schedule.last_event_timestamp is None
    assert job.schedule.next_event_timestamp is not None
    assert job.schedule.next_event_timestamp > datetime.now(UTC)

    await _register(db, endpoint, version="2.0.0")  # now an event trigger

    job = await _read(db, endpoint)
    assert job.trigger_type is TriggerType.STATIC
    assert job.schedule is not None and not job.schedule.active
    assert job.schedule.next_event_timestamp is None


async def test_invoke_job_has_no_dispatcher(db: Database, endpoint: Endpoint) -> None:
    invoke_event = {"name": "invoke", "title": "Manual Invoke", "source": "trigger.dev"}
    await _register(db, endpoint, event=invoke_event, trigger={"type": "invoke"})

    job = await _read(db, endpoint)

    assert job.trigger_type is TriggerType.INVOKE
    assert job.dispatcher is None and job.schedule is None


async def test_disabled_latest_version(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint)
    await _register(db, endpoint, enabled=False)

    job = await _read(db, endpoint)

    assert job.versions[0].status is JobVersionStatus.DISABLED
    assert job.trigger_type is TriggerType.STATIC
    assert job.dispatcher is not None and not job.dispatcher.enabled


async def test_each_environment_sees_its_own_versions(db: Database, endpoint: Endpoint) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint, version="1.0.0")
    await _register(db, prod, version="2.0.0")

    dev_job = await _read(db, endpoint)
    prod_job = await _read(db, prod)

    assert dev_job.id == prod_job.id
    assert [v.version for v in dev_job.versions] == ["1.0.0"]
    assert [v.version for v in prod_job.versions] == ["2.0.0"]
    assert prod_job.dispatcher is not None and prod_job.dispatcher.version == "2.0.0"


async def test_job_without_a_version_in_the_environment_is_not_found(
    db: Database, endpoint: Endpoint
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, prod)

    with pytest.raises(NotFound) as error:
        await _read(db, endpoint)
    assert error.value.code == "job_not_found"


async def test_another_projects_job_is_not_found(db: Database, endpoint: Endpoint) -> None:
    other = await _other_project_endpoint(db, endpoint.organization_id)
    await _register(db, other, "theirs")

    assert (await _read(db, other, "theirs")).slug == "theirs"
    with pytest.raises(NotFound) as error:
        await _read(db, endpoint, "theirs")
    assert error.value.code == "job_not_found"
    with pytest.raises(NotFound):  # their environment, our project
        await _read(db, other, "theirs", project_id=endpoint.project_id)


async def test_unknown_job_is_not_found(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint)
    with pytest.raises(NotFound) as error:
        await _read(db, endpoint, "no-such-job")
    assert error.value.code == "job_not_found"


async def test_deleted_job_is_found_only_when_asked_for(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint)
    deleted_at = datetime(2024, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(update(Job).values(deleted_at=deleted_at))

    with pytest.raises(NotFound):
        await _read(db, endpoint)
    job = await _read(db, endpoint, include_deleted=True)
    assert job.deleted_at == deleted_at and job.latest_version == "1.0.0"
