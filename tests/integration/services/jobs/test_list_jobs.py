"""ListJobs: what a job line shows, every filter, keyset paging, and tenant scoping."""

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from kongflow.db.orm import Endpoint, Job, JobVersion
from kongflow.db.session import Database
from kongflow.domain.enums import JobVersionStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.domain.tenancy import EnvironmentScope
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
from kongflow.services.jobs.rollback_job import rollback_job
from tests.support.jobs import (
    CRON_TRIGGER,
    count_queries,
    job_metadata,
    make_endpoint,
    make_other_project_endpoint,
    scope_of,
)

INVOKE_EVENT = {
    "name": "invoke",
    "title": "Manual Invoke",
    "source": "trigger.dev",
    "icon": "trigger",
}
SCHEDULE_EVENT = {"name": "trigger.scheduled", "title": "Cron Schedule", "source": "trigger.dev"}
DYNAMIC_TRIGGER = {"type": "dynamic", "id": "dyn"}
INVOKE_TRIGGER = {"type": "invoke"}


@pytest.fixture
async def scope(db: Database, endpoint: Endpoint) -> EnvironmentScope:
    return await scope_of(db)


def _integration(slug: str) -> dict[str, Any]:
    return {"id": slug, "metadata": {"id": slug, "name": slug.title()}, "authSource": "LOCAL"}


async def _register(db: Database, endpoint: Endpoint, slug: str, **overrides: Any) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata(slug, **overrides)))


async def _list(
    db: Database,
    scope: EnvironmentScope,
    filters: JobFilters | None = None,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> JobPage:
    async with db.transaction() as session:
        return await list_jobs(
            session, scope, filters=filters or JobFilters(), cursor=cursor, limit=limit
        )


async def _slugs(
    db: Database, scope: EnvironmentScope, filters: JobFilters | None = None
) -> list[str]:
    return [item.slug for item in (await _list(db, scope, filters)).items]


async def _register_one_of_each_kind(db: Database, endpoint: Endpoint) -> None:
    await _register(
        db,
        endpoint,
        "static-job",
        integrations={"gh": _integration("github"), "chat": _integration("slack")},
    )
    await _register(db, endpoint, "cron-job", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)
    await _register(db, endpoint, "invoke-job", event=INVOKE_EVENT, trigger=INVOKE_TRIGGER)
    await _register(db, endpoint, "dynamic-job", trigger=DYNAMIC_TRIGGER)


async def test_each_line_describes_the_latest_version(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register_one_of_each_kind(db, endpoint)

    page = await _list(db, scope)

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
    assert by_slug["dynamic-job"].event_names == ()


async def test_latest_version_follows_the_alias(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, "job", version="0.9.0")
    await _register(db, endpoint, "job", version="0.10.0")
    await _register(db, endpoint, "job", version="0.8.0")  # indexed late; not latest

    (item,) = (await _list(db, scope)).items

    assert item.latest_version == "0.10.0"


async def test_one_query_per_page(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register_one_of_each_kind(db, endpoint)
    with count_queries(db) as statements:
        page = await _list(db, scope, JobFilters(event_name="order.created", enabled=True))
        assert [item.slug for item in page.items] == ["static-job"]
        page = await _list(db, scope)
    assert len(page.items) == 4
    assert len(statements) == 2


async def test_search_matches_slug_or_title_case_insensitively(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, "send-email", name="Welcome Mail")
    await _register(db, endpoint, "sync_users", name="Nightly sync")
    await _register(db, endpoint, "syncXusers", name="Other")

    assert await _slugs(db, scope, JobFilters(search="EMAIL")) == ["send-email"]
    assert await _slugs(db, scope, JobFilters(search="welcome")) == ["send-email"]
    # (the order of these two depends on the database's collation)
    assert sorted(await _slugs(db, scope, JobFilters(search="SYNC"))) == [
        "syncXusers",
        "sync_users",
    ]
    # LIKE wildcards in the search are literal characters
    assert await _slugs(db, scope, JobFilters(search="c_u")) == ["sync_users"]
    assert await _slugs(db, scope, JobFilters(search="%")) == []


async def test_trigger_type_filter(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register_one_of_each_kind(db, endpoint)

    for trigger_type, expected in [
        (TriggerType.STATIC, ["static-job"]),
        (TriggerType.SCHEDULED, ["cron-job"]),
        (TriggerType.INVOKE, ["invoke-job"]),
        (TriggerType.DYNAMIC, ["dynamic-job"]),
    ]:
        assert await _slugs(db, scope, JobFilters(trigger_type=trigger_type)) == expected


@pytest.mark.parametrize("enabled", [True, False])
async def test_trigger_type_of_a_version_re_registered_with_each_kind(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope, enabled: bool
) -> None:
    """One version string declared as every kind in turn: always the latest declaration,
    whether or not that declaration then disabled the version."""
    declarations: list[tuple[TriggerType, dict[str, Any]]] = [
        (TriggerType.STATIC, {}),
        (TriggerType.SCHEDULED, {"event": SCHEDULE_EVENT, "trigger": CRON_TRIGGER}),
        (TriggerType.DYNAMIC, {"trigger": DYNAMIC_TRIGGER}),
        (TriggerType.STATIC, {}),
        (TriggerType.INVOKE, {"event": INVOKE_EVENT, "trigger": INVOKE_TRIGGER}),
        (TriggerType.SCHEDULED, {"event": SCHEDULE_EVENT, "trigger": CRON_TRIGGER}),
        (TriggerType.INVOKE, {"event": INVOKE_EVENT, "trigger": INVOKE_TRIGGER}),
        (TriggerType.DYNAMIC, {"trigger": DYNAMIC_TRIGGER}),
    ]
    for expected, overrides in declarations:
        await _register(db, endpoint, "shifty", **overrides)
        if not enabled:
            await _register(db, endpoint, "shifty", enabled=False, **overrides)

        (item,) = (await _list(db, scope)).items

        assert (item.latest_version, item.enabled) == ("1.0.0", enabled)
        assert item.trigger_type is expected
        for trigger_type in TriggerType:
            matches = await _slugs(db, scope, JobFilters(trigger_type=trigger_type))
            assert matches == (["shifty"] if trigger_type is expected else [])


async def test_a_version_without_a_stored_trigger_has_no_trigger_type(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, "legacy")
    await _register(db, endpoint, "current")
    async with db.transaction() as session:  # as registered before migration 0002
        await session.execute(
            update(JobVersion)
            .where(
                JobVersion.job_id == select(Job.id).where(Job.slug == "legacy").scalar_subquery()
            )
            .values(trigger=None)
        )

    by_slug = {item.slug: item for item in (await _list(db, scope)).items}

    assert by_slug["legacy"].trigger_type is None and by_slug["legacy"].event_names == ()
    assert by_slug["current"].trigger_type is TriggerType.STATIC
    for trigger_type in TriggerType:
        assert "legacy" not in await _slugs(db, scope, JobFilters(trigger_type=trigger_type))
    assert await _slugs(db, scope, JobFilters(event_name="order.created")) == ["current"]


async def test_event_names_and_filter_follow_the_latest_declaration(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    two_events = job_metadata()["trigger"]
    two_events["rule"]["event"] = ["order.created", "order.paid"]
    await _register(db, endpoint, "orders", trigger=two_events)
    await _register(
        db, endpoint, "users", trigger={**two_events, "rule": {"event": "user.created"}}
    )
    await _register(db, endpoint, "cron", event=SCHEDULE_EVENT, trigger=CRON_TRIGGER)
    # same version string, now invoked: the dispatcher left behind no longer counts
    await _register(db, endpoint, "was-static", trigger=two_events)
    await _register(db, endpoint, "was-static", trigger=INVOKE_TRIGGER, event=INVOKE_EVENT)
    # a disabled job still declares its events
    await _register(db, endpoint, "paused", trigger=two_events)
    await _register(db, endpoint, "paused", trigger=two_events, enabled=False)

    assert await _slugs(db, scope, JobFilters(event_name="order.paid")) == ["orders", "paused"]
    assert await _slugs(db, scope, JobFilters(event_name="user.created")) == ["users"]
    assert await _slugs(db, scope, JobFilters(event_name="dev.trigger.scheduled")) == ["cron"]
    assert await _slugs(db, scope, JobFilters(event_name="order")) == []
    assert await _slugs(db, scope, JobFilters(event_name="invoke")) == []
    by_slug = {item.slug: item for item in (await _list(db, scope)).items}
    assert by_slug["orders"].event_names == ("order.created", "order.paid")
    assert by_slug["users"].event_names == ("user.created",)
    assert by_slug["was-static"].event_names == ()


async def test_event_names_after_a_rollback(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    paid = job_metadata()["trigger"]
    paid["rule"]["event"] = "order.paid"
    await _register(db, endpoint, "orders", version="1.0.0")
    await _register(db, endpoint, "orders", version="2.0.0", trigger=paid)
    assert await _slugs(db, scope, JobFilters(event_name="order.paid")) == ["orders"]

    async with db.transaction() as session:
        await rollback_job(session, scope, "orders", "1.0.0")

    (item,) = (await _list(db, scope)).items
    assert (item.latest_version, item.event_names) == ("1.0.0", ("order.created",))
    assert await _slugs(db, scope, JobFilters(event_name="order.paid")) == []
    assert await _slugs(db, scope, JobFilters(event_name="order.created")) == ["orders"]


async def test_enabled_filter(db: Database, endpoint: Endpoint, scope: EnvironmentScope) -> None:
    await _register(db, endpoint, "on")
    await _register(db, endpoint, "off")
    await _register(db, endpoint, "off", enabled=False)

    assert await _slugs(db, scope, JobFilters(enabled=True)) == ["on"]
    off = (await _list(db, scope, JobFilters(enabled=False))).items
    assert [item.slug for item in off] == ["off"]
    assert off[0].latest_version_status is JobVersionStatus.DISABLED and not off[0].enabled


async def test_integration_filter_looks_at_the_latest_version_only(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, "uses-github", integrations={"gh": _integration("github")})
    await _register(db, endpoint, "uses-slack", integrations={"chat": _integration("slack")})
    await _register(db, endpoint, "dropped-github", integrations={"gh": _integration("github")})
    await _register(db, endpoint, "dropped-github", version="2.0.0")

    assert await _slugs(db, scope, JobFilters(integration="github")) == ["uses-github"]
    assert await _slugs(db, scope, JobFilters(integration="slack")) == ["uses-slack"]
    assert await _slugs(db, scope, JobFilters(integration="stripe")) == []


async def test_filters_combine_with_and(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register_one_of_each_kind(db, endpoint)
    await _register(db, endpoint, "static-off")
    await _register(db, endpoint, "static-off", enabled=False)

    both = JobFilters(trigger_type=TriggerType.STATIC, enabled=True)
    assert await _slugs(db, scope, both) == ["static-job"]
    assert await _slugs(db, scope, JobFilters(search="job", integration="slack")) == ["static-job"]
    assert await _slugs(db, scope, JobFilters(search="cron", integration="slack")) == []
    on_schedule = JobFilters(trigger_type=TriggerType.STATIC, event_name="dev.trigger.scheduled")
    assert await _slugs(db, scope, on_schedule) == []


async def test_pages_cover_every_job_exactly_once(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    expected = [f"job-{n:02d}" for n in range(25)]
    for slug in reversed(expected):
        await _register(db, endpoint, slug)

    pages: list[JobPage] = []
    cursor = None
    while True:
        page = await _list(db, scope, cursor=cursor, limit=10)
        pages.append(page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        assert len(pages) < 5, "paging does not end"

    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert [item.slug for page in pages for item in page.items] == expected


async def test_a_page_that_ends_exactly_at_the_limit_has_no_next_cursor(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    for slug in ("a", "b", "c", "d"):
        await _register(db, endpoint, slug)

    first = await _list(db, scope, limit=2)
    second = await _list(db, scope, cursor=first.next_cursor, limit=2)

    assert [item.slug for item in first.items] == ["a", "b"] and first.next_cursor is not None
    assert [item.slug for item in second.items] == ["c", "d"] and second.next_cursor is None


async def test_paging_with_a_filter(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    for n in range(12):
        await _register(db, endpoint, f"job-{n:02d}", enabled=True)
        if n % 2:
            await _register(db, endpoint, f"job-{n:02d}", enabled=False)

    enabled = JobFilters(enabled=True)
    first = await _list(db, scope, enabled, limit=4)
    second = await _list(db, scope, enabled, cursor=first.next_cursor, limit=4)

    assert [item.slug for item in first.items] == ["job-00", "job-02", "job-04", "job-06"]
    assert [item.slug for item in second.items] == ["job-08", "job-10"]
    assert second.next_cursor is None


async def test_cursor_round_trips_and_rejects_garbage(
    db: Database, scope: EnvironmentScope
) -> None:
    assert decode_cursor(encode_cursor("job:a@b+c")) == "job:a@b+c"
    for garbage in ("%%%", "", "//8"):  # not base64url, empty, not UTF-8
        with pytest.raises(InvalidRequest) as error:
            await _list(db, scope, cursor=garbage)
        assert error.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", [0, 101])
async def test_limit_must_be_between_1_and_100(
    db: Database, scope: EnvironmentScope, limit: int
) -> None:
    with pytest.raises(ValidationFailed) as error:
        await _list(db, scope, limit=limit)
    assert error.value.code == "invalid_limit"


async def test_only_jobs_with_a_version_in_the_environment(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint, "everywhere")
    await _register(db, prod, "everywhere", version="2.0.0")
    await _register(db, prod, "prod-only")

    dev_page = await _list(db, scope)
    prod_page = await _list(db, await scope_of(db, "prod"))

    assert [(item.slug, item.latest_version) for item in dev_page.items] == [
        ("everywhere", "1.0.0")
    ]
    assert [(item.slug, item.latest_version) for item in prod_page.items] == [
        ("everywhere", "2.0.0"),
        ("prod-only", "1.0.0"),
    ]


async def test_other_projects_jobs_are_not_listed(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    other = await make_other_project_endpoint(db, endpoint.organization_id)
    other_scope = await scope_of(db, project_id=other.project_id)
    await _register(db, endpoint, "mine")
    await _register(db, other, "theirs")

    assert await _slugs(db, scope) == ["mine"]
    assert await _slugs(db, other_scope) == ["theirs"]
    # the right environment under the wrong project shows nothing either
    mixed = dataclasses.replace(other_scope, project_id=scope.project_id)
    assert await _slugs(db, mixed) == []


async def test_deleted_jobs_are_hidden_unless_asked_for(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, "kept")
    await _register(db, endpoint, "gone")
    deleted_at = datetime(2024, 1, 1, tzinfo=UTC)
    async with db.transaction() as session:
        await session.execute(update(Job).where(Job.slug == "gone").values(deleted_at=deleted_at))

    assert await _slugs(db, scope) == ["kept"]
    everything = (await _list(db, scope, JobFilters(include_deleted=True))).items
    assert [(item.slug, item.deleted_at) for item in everything] == [
        ("gone", deleted_at),
        ("kept", None),
    ]
