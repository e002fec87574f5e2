"""ListJobs: what a job line shows, every filter, keyset paging, and tenant scoping."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, update

from kongflow.db.orm import Endpoint, Environment, Job, Project
from kongflow.db.session import Database
from kongflow.domain.enums import JobVersionStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.errors import InvalidRequest, ValidationFailed
from kongflow.services.jobs.list_jobs import (
    JobFilters,
    JobPage,
    TriggerType,
    decode_cursor,
    encode_cursor,
    list_jobs,
)
from kongflow.services.jobs.register_job import register_job
from tests.support.jobs import CRON_TRIGGER, job_metadata, make_endpoint

INVOKE_EVENT = {
    "name": "invoke",
    "title": "Manual Invoke",
    "source": "trigger.dev",
    "icon": "trigger",
}
SCHEDULE_EVENT = {"name": "trigger.scheduled", "title": "Cron Schedule", "source": "trigger.dev"}


def _integration(slug: str) -> dict[str, Any]:
    return {"id": slug, "metadata": {"id": slug, "name": slug.title()}, "authSource": "LOCAL"}


async def _register(db: Database, endpoint: Endpoint, slug: str, **overrides: Any) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug, **overrides)))


async def _list(
    db: Database,
    endpoint: Endpoint,
    filters: JobFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> JobPage:
    async with db.transaction() as session:
        return await list_jobs(
            session,
            project_id=endpoint.project_id,
            environment_id=endpoint.environment_id,
            filters=filters or JobFilters(),
            cursor=cursor,
            limit=limit,
        )


async def _slugs(db: Database, endpoint: Endpoint, filters: JobFilters | None = None) -> list[str]:
    return [item.slug for item in (await _list(db, endpoint, filters)).items]


async def _register_one_of_each_kind(db: Database, endpoint: Endpoint) -> None:
    await _register(
        db,
        endpoint,
        "static-job",
        integrations={"gh": _integration("github"), "chat": _integration("slack")},
    )
    await _register(db, endpoint, "cron-job", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)
    await _register(db, endpoint, "invoke-job", event=INVOKE_EVENT, trigger={"type": "invoke"})
    await _register(db, endpoint, "dynamic-job", trigger={"type": "dynamic", "id": "dyn"})


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


@contextmanager
def _count_queries(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_each_line_describes_the_latest_version(db: Database, endpoint: Endpoint) -> None:
    await _register_one_of_each_kind(db, endpoint)

    page = await _list(db, endpoint)

    assert page.next_cursor is None
    by_slug = {item.slug: item for item in page.items}
    assert [item.slug for item in page.items] == sorted(by_slug)
    static = by_slug["static-job"]
    assert static.title == "Job static-job" and not static.internal
    assert (static.latest_version, static.latest_version_status) == ("1.0.0", "ACTIVE")
    assert static.trigger_type is TriggerType.STATIC and static.enabled
    assert static.event_names == ("order.created",)
    assert static.integration_slugs == ("github", "slack")
    assert static.deleted_at is None and static.created_at <= static.updated_at
    cron = by_slug["cron-job"]
    assert cron.trigger_type is TriggerType.SCHEDULED
    assert cron.event_names == ("dev.trigger.scheduled",) and cron.integration_slugs == ()
    assert by_slug["invoke-job"].trigger_type is TriggerType.INVOKE
    assert by_slug["invoke-job"].event_names == ()
    assert by_slug["dynamic-job"].trigger_type is TriggerType.DYNAMIC


async def test_latest_version_follows_the_alias(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, "job", version="0.9.0")
    await _register(db, endpoint, "job", version="0.10.0")
    await _register(db, endpoint, "job", version="0.8.0")  # indexed late; not latest

    (item,) = (await _list(db, endpoint)).items

    assert item.latest_version == "0.10.0"


async def test_one_query_per_page(db: Database, endpoint: Endpoint) -> None:
    await _register_one_of_each_kind(db, endpoint)
    with _count_queries(db) as statements:
        page = await _list(db, endpoint)
    assert len(page.items) == 4
    assert len(statements) == 1


async def test_search_matches_slug_or_title_case_insensitively(
    db: Database, endpoint: Endpoint
) -> None:
    await _register(db, endpoint, "send-email", name="Welcome Mail")
    await _register(db, endpoint, "sync_users", name="Nightly sync")
    await _register(db, endpoint, "syncXusers", name="Other")

    assert await _slugs(db, endpoint, JobFilters(search="EMAIL")) == ["send-email"]
    assert await _slugs(db, endpoint, JobFilters(search="welcome")) == ["send-email"]
    # (the order of these two depends on the database's collation)
    assert sorted(await _slugs(db, endpoint, JobFilters(search="SYNC"))) == [
        "syncXusers",
        "sync_users",
    ]
    # LIKE wildcards in the search are literal characters
    assert await _slugs(db, endpoint, JobFilters(search="c_u")) == ["sync_users"]
    assert await _slugs(db, endpoint, JobFilters(search="%")) == []


async def test_trigger_type_filter(db: Database, endpoint: Endpoint) -> None:
    await _register_one_of_each_kind(db, endpoint)

    for trigger_type, expected in [
        (TriggerType.STATIC, ["static-job"]),
        (TriggerType.SCHEDULED, ["cron-job"]),
        (TriggerType.INVOKE, ["invoke-job"]),
        (TriggerType.DYNAMIC, ["dynamic-job"]),
    ]:
        assert await _slugs(db, endpoint, JobFilters(trigger_type=trigger_type)) == expected


async def test_trigger_type_after_kind_changes_and_disabling(
    db: Database, endpoint: Endpoint
) -> None:
    await _register(db, endpoint, "became-dynamic")
    await _register(db, endpoint, "became-dynamic", trigger={"type": "dynamic", "id": "d"})
    await _register(db, endpoint, "disabled-cron", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)
    await _register(
        db, endpoint, "disabled-cron", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER, enabled=False
    )

    by_slug = {item.slug: item for item in (await _list(db, endpoint)).items}

    # the dispatcher left over from the static version no longer describes the job
    assert by_slug["became-dynamic"].trigger_type is TriggerType.DYNAMIC
    assert by_slug["became-dynamic"].event_names == ()
    # a disabled scheduled job is still a scheduled job
    assert by_slug["disabled-cron"].trigger_type is TriggerType.SCHEDULED
    assert not by_slug["disabled-cron"].enabled


async def test_event_name_filter(db: Database, endpoint: Endpoint) -> None:
    two_events = job_metadata()["trigger"]
    two_events["rule"]["event"] = ["order.created", "order.paid"]
    await _register(db, endpoint, "orders", trigger=two_events)
    await _register(
        db, endpoint, "users", trigger={**two_events, "rule": {"event": "user.created"}}
    )
    await _register(db, endpoint, "was-static", trigger=two_events)
    await _register(db, endpoint, "was-static", trigger={"type": "invoke"}, event=INVOKE_EVENT)

    assert await _slugs(db, endpoint, JobFilters(event_name="order.paid")) == ["orders"]
    assert await _slugs(db, endpoint, JobFilters(event_name="user.created")) == ["users"]
    assert await _slugs(db, endpoint, JobFilters(event_name="order")) == []
    orders = (await _list(db, endpoint, JobFilters(event_name="order.created"))).items[0]
    assert orders.event_names == ("order.created", "order.paid")


async def test_enabled_filter(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, "on")
    await _register(db, endpoint, "off")
    await _register(db, endpoint, "off", enabled=False)

    assert await _slugs(db, endpoint, JobFilters(enabled=True)) == ["on"]
    off = (await _list(db, endpoint, JobFilters(enabled=False))).items
    assert [item.slug for item in off] == ["off"]
    assert off[0].latest_version_status is JobVersionStatus.DISABLED and not off[0].enabled


async def test_integration_filter_looks_at_the_latest_version_only(
    db: Database, endpoint: Endpoint
) -> None:
    await _register(db, endpoint, "uses-github", integrations={"gh": _integration("github")})
    await _register(db, endpoint, "uses-slack", integrations={"chat": _integration("slack")})
    await _register(db, endpoint, "dropped-github", integrations={"gh": _integration("github")})
    await _register(db, endpoint, "dropped-github", version="2.0.0")

    assert await _slugs(db, endpoint, JobFilters(integration="github")) == ["uses-github"]
    assert await _slugs(db, endpoint, JobFilters(integration="slack")) == ["uses-slack"]
    assert await _slugs(db, endpoint, JobFilters(integration="stripe")) == []


async def test_filters_combine_with_and(db: Database, endpoint: Endpoint) -> None:
    await _register_one_of_each_kind(db, endpoint)
    await _register(db, endpoint, "static-off")
    await _register(db, endpoint, "static-off", enabled=False)

    both = JobFilters(trigger_type=TriggerType.STATIC, enabled=True)
    assert await _slugs(db, endpoint, both) == ["static-job"]
    assert await _slugs(db, endpoint, JobFilters(search="job", integration="slack")) == [
        "static-job"
    ]
    assert await _slugs(db, endpoint, JobFilters(search="cron", integration="slack")) == []


async def test_pages_cover_every_job_exactly_once(db: Database, endpoint: Endpoint) -> None:
    expected = [f"job-{n:02d}" for n in range(25)]
    for slug in reversed(expected):
        await _register(db, endpoint, slug)

    pages: list[JobPage] = []
    cursor = None
    while True:
        page = await _list(db, endpoint, cursor=cursor, limit=10)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        assert len(pages) < 5, "paging does not end"

    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert [item.slug for page in pages for item in page.items] == expected


async def test_a_page_that_ends_exactly_at_the_limit_has_no_next_cursor(
    db: Database, endpoint: Endpoint
) -> None:
    for slug in ("a", "b", "c", "d"):
        await _register(db, endpoint, slug)

    first = await _list(db, endpoint, limit=2)
    second = await _list(db, endpoint, cursor=first.next_cursor, limit=2)

    assert [item.slug for item in first.items] == ["a", "b"] and first.next_cursor is not None
    assert [item.slug for item in second.items] == ["c", "d"] and second.next_cursor is None


async def test_paging_with_a_filter(db: Database, endpoint: Endpoint) -> None:
    for n in range(12):
        await _register(db, endpoint, f"job-{n:02d}", enabled=True)
        if n % 2:
            await _register(db, endpoint, f"job-{n:02d}", enabled=False)

    enabled = JobFilters(enabled=True)
    first = await _list(db, endpoint, enabled, limit=4)
    second = await _list(db, endpoint, enabled, cursor=first.next_cursor, limit=4)

    assert [item.slug for item in first.items] == ["job-00", "job-02", "job-04", "job-06"]
    assert [item.slug for item in second.items] == ["job-08", "job-10"]
    assert second.next_cursor is None


async def test_cursor_round_trips_and_rejects_garbage(db: Database, endpoint: Endpoint) -> None:
    assert decode_cursor(encode_cursor("job:a@b+c")) == "job:a@b+c"
    for garbage in ("%%%", "", "//8"):  # not base64url, empty, not UTF-8
        with pytest.raises(InvalidRequest) as error:
            await _list(db, endpoint, cursor=garbage)
        assert error.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 101])
async def test_limit_must_be_between_1_and_100(
    db: Database, endpoint: Endpoint, limit: int
) -> None:
    with pytest.raises(ValidationFailed) as error:
        await _list(db, endpoint, limit=limit)
    assert error.value.code == "invalid_limit"


async def test_only_jobs_with_a_version_in_the_environment(
    db: Database, endpoint: Endpoint
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint, "everywhere")
    await _register(db, prod, "everywhere", version="2.0.0")
    await _register(db, prod, "prod-only")

    dev_page = await _list(db, endpoint)
    prod_page = await _list(db, prod)

    assert [(item.slug, item.latest_version) for item in dev_page.items] == [
        ("everywhere", "1.0.0")
    ]
    assert [(item.slug, item.latest_version) for item in prod_page.items] == [
        ("everywhere", "2.0.0"),
        ("prod-only", "1.0.0"),
    ]


async def test_other_projects_jobs_are_not_listed(db: Database, endpoint: Endpoint) -> None:
    other = await _other_project_endpoint(db, endpoint.organization_id)
    await _register(db, endpoint, "mine")
    await _register(db, other, "theirs")

    assert await _slugs(db, endpoint) == ["mine"]
    assert await _slugs(db, other) == ["theirs"]
    # the right environment under the wrong project shows nothing either
    async with db.transaction() as session:
        page = await list_jobs(
            session,
            project_id=endpoint.project_id,
            environment_id=other.environment_id,
            filters=JobFilters(),
            cursor=None,
            limit=10,
        )
    assert page.items == ()


async def test_deleted_jobs_are_hidden_unless_asked_for(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, "kept")
    await _register(db, endpoint, "gone")
    deleted_at = datetime(2024, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(update(Job).where(Job.slug == "gone").values(deleted_at=deleted_at))

    assert await _slugs(db, endpoint) == ["kept"]
    everything = (await _list(db, endpoint, JobFilters(include_deleted=True))).items
    assert [(item.slug, item.deleted_at) for item in everything] == [
        ("gone", deleted_at),
        ("kept", None),
    ]
