"""DiffVersions: field, trigger, integration and example changes between two versions of
a job."""

from typing import Any

import pytest
from sqlalchemy import update

from kongflow.db.orm import Endpoint, JobVersion
from kongflow.db.session import Database
from kongflow.domain.protocol.index import parse_job
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound
from kongflow.services.jobs.diff_versions import (
    KeyedChanges,
    ValueChange,
    VersionDiff,
    diff_versions,
)
from kongflow.services.jobs.register_job import register_job
from tests.support.jobs import CRON_TRIGGER, INTERVAL_TRIGGER, job_metadata, make_endpoint, scope_of


@pytest.fixture
async def scope(db: Database, endpoint: Endpoint) -> EnvironmentScope:
    return await scope_of(db)


def _integration(slug: str, definition: str | None = None) -> dict[str, Any]:
    definition = definition or slug
    return {"id": slug, "metadata": {"id": definition, "name": definition.title()}}


def _paid_only() -> dict[str, Any]:
    """Version 1.0.0: filtered on paid orders, two integrations, two examples."""
    metadata = job_metadata(
        integrations={"gh": _integration("github"), "chat": _integration("slack")},
    )
    metadata["event"]["filter"] = {"status": ["paid"]}
    metadata["event"]["examples"].append({"id": "refund", "name": "Refund", "payload": {"r": 1}})
    return metadata


def _paid_or_refunded() -> dict[str, Any]:
    """Version 2.0.0: a wider filter, other integrations and examples, a concurrency limit."""
    metadata = job_metadata(
        version="2.0.0",
        concurrencyLimit=5,
        integrations={
            "gh": _integration("github-enterprise", "github"),
            "pay": _integration("stripe"),
        },
    )
    metadata["event"]["filter"] = {"status": ["paid", "refunded"]}
    metadata["trigger"]["rule"]["payload"] = {"status": ["paid", "refunded"]}
    metadata["event"]["examples"] = [
        {"id": "paid", "name": "Paid order", "payload": {"status": "paid", "total": 10}},
        {"id": "big", "name": "Big order", "icon": "cash", "payload": {"total": 1000}},
    ]
    return metadata


async def _register(db: Database, endpoint: Endpoint, metadata: dict[str, Any]) -> None:
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(metadata))


async def _diff(
    db: Database,
    scope: EnvironmentScope,
    from_version: str,
    to_version: str,
    slug: str = "order-created",
) -> VersionDiff:
    async with db.transaction() as session:
        return await diff_versions(
            session, scope, slug, from_version=from_version, to_version=to_version
        )


async def test_changed_filter_integrations_and_examples(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, _paid_only())
    await _register(db, endpoint, _paid_or_refunded())

    diff = await _diff(db, scope, "1.0.0", "2.0.0")

    assert (diff.slug, diff.from_version, diff.to_version) == ("order-created", "1.0.0", "2.0.0")
    assert not diff.is_empty
    rule = {"event": "order.created", "source": "trigger.dev", "context": None}
    assert diff.fields == (
        ValueChange("concurrency_limit", None, 5),
        ValueChange("event.filter", {"status": ["paid"]}, {"status": ["paid", "refunded"]}),
        ValueChange(
            "trigger.rule",
            rule | {"payload": {"status": ["paid"]}},
            rule | {"payload": {"status": ["paid", "refunded"]}},
        ),
    )
    assert diff.integrations == KeyedChanges(
        added=(ValueChange("pay", None, "stripe"),),
        removed=(ValueChange("chat", "slack", None),),
        changed=(ValueChange("gh", "github", "github-enterprise"),),
    )
    assert diff.examples == KeyedChanges(
        added=(
            ValueChange(
                "big", None, {"name": "Big order", "icon": "cash", "payload": {"total": 1000}}
            ),
        ),
        removed=(
            ValueChange("refund", {"name": "Refund", "icon": None, "payload": {"r": 1}}, None),
        ),
        changed=(
            ValueChange(
                "paid",
                {"name": "Paid order", "icon": None, "payload": {"status": "paid"}},
                {"name": "Paid order", "icon": None, "payload": {"status": "paid", "total": 10}},
            ),
        ),
    )


async def test_diffing_backwards_swaps_before_and_after(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, _paid_only())
    await _register(db, endpoint, _paid_or_refunded())

    diff = await _diff(db, scope, "2.0.0", "1.0.0")

    assert ValueChange("concurrency_limit", 5, None) in diff.fields
    assert [change.field for change in diff.integrations.added] == ["chat"]
    assert [change.field for change in diff.integrations.removed] == ["pay"]
    assert [change.field for change in diff.examples.added] == ["refund"]


async def test_event_specification_and_static_trigger_extras(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, job_metadata())
    changed = job_metadata(version="1.1.0", preprocessRuns=True)
    changed["event"].update(title="Order placed", icon="cart", schema={"type": "object"})
    del changed["event"]["source"]
    changed["trigger"]["link"] = "https://example.com/orders"
    changed["trigger"]["properties"] = [{"label": "Shop", "text": "main"}]
    await _register(db, endpoint, changed)

    diff = await _diff(db, scope, "1.0.0", "1.1.0")

    assert diff.fields == (
        ValueChange("event.icon", "custom-event", "cart"),
        ValueChange("event.schema", None, {"type": "object"}),
        ValueChange("event.source", "trigger.dev", None),
        ValueChange("event.title", "Order created", "Order placed"),
        ValueChange("preprocess_runs", False, True),
        ValueChange("trigger.link", None, "https://example.com/orders"),
        ValueChange("trigger.properties", None, [{"label": "Shop", "text": "main"}]),
    )
    assert diff.integrations.is_empty and diff.examples.is_empty


async def test_concurrency_group_is_compared_by_name(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, job_metadata(concurrencyLimit={"id": "mail", "limit": 2}))
    await _register(
        db, endpoint, job_metadata(version="1.1.0", concurrencyLimit={"id": "bulk", "limit": 2})
    )

    diff = await _diff(db, scope, "1.0.0", "1.1.0")

    assert diff.fields == (ValueChange("concurrency_limit_group", "mail", "bulk"),)


async def test_json_values_are_compared_strictly(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    first = job_metadata()
    first["event"]["examples"][0]["payload"] = {"paid": 1}
    second = job_metadata(version="1.1.0")
    second["event"]["examples"][0]["payload"] = {"paid": True}  # equal in Python, not in JSON
    await _register(db, endpoint, first)
    await _register(db, endpoint, second)

    diff = await _diff(db, scope, "1.0.0", "1.1.0")

    assert [change.field for change in diff.examples.changed] == ["paid"]


async def test_identical_versions_have_an_empty_diff(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, _paid_only())
    same = _paid_only()
    same["version"] = "1.0.1"
    await _register(db, endpoint, same)

    for pair in [("1.0.0", "1.0.1"), ("1.0.1", "1.0.0"), ("1.0.0", "1.0.0")]:
        diff = await _diff(db, scope, *pair)
        assert diff.is_empty
        assert diff.fields == () and diff.integrations == KeyedChanges()
        assert diff.examples == KeyedChanges()


async def test_unknown_version_is_not_found(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint, job_metadata())
    await _register(db, prod, job_metadata(version="2.0.0"))  # exists, but not in dev

    for pair, missing in [
        (("1.0.0", "9.9.9"), "9.9.9"),
        (("9.9.9", "1.0.0"), "9.9.9"),
        (("1.0.0", "2.0.0"), "2.0.0"),
    ]:
        with pytest.raises(NotFound) as error:
            await _diff(db, scope, *pair)
        assert error.value.code == "version_not_found"
        assert error.value.details == {"slug": "order-created", "version": missing}


async def test_unknown_job_is_not_found(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, prod, job_metadata())  # only in prod

    with pytest.raises(NotFound) as error:
        await _diff(db, scope, "1.0.0", "1.0.0")
    assert error.value.code == "job_not_found"
    assert (await _diff(db, await scope_of(db, "prod"), "1.0.0", "1.0.0")).is_empty


async def test_trigger_rule_filters_and_events(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    await _register(db, endpoint, job_metadata())
    changed = job_metadata(version="1.1.0")
    changed["trigger"]["rule"].update(
        event=["order.created", "order.paid"], context={"region": ["eu"]}
    )
    await _register(db, endpoint, changed)

    diff = await _diff(db, scope, "1.0.0", "1.1.0")

    assert diff.fields == (
        ValueChange(
            "trigger.rule",
            {
                "event": "order.created",
                "source": "trigger.dev",
                "payload": {"status": ["paid"]},
                "context": None,
            },
            {
                "event": ["order.created", "order.paid"],
                "source": "trigger.dev",
                "payload": {"status": ["paid"]},
                "context": {"region": ["eu"]},
            },
        ),
    )


async def test_trigger_kind_and_schedule(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    schedule_event = {"name": "trigger.scheduled", "source": "trigger.dev"}
    await _register(db, endpoint, job_metadata(event=schedule_event, trigger=CRON_TRIGGER))
    await _register(
        db, endpoint, job_metadata(version="1.1.0", event=schedule_event, trigger=INTERVAL_TRIGGER)
    )
    await _register(db, endpoint, job_metadata(version="1.2.0", event=schedule_event))

    every_five_minutes = await _diff(db, scope, "1.0.0", "1.1.0")
    now_static = await _diff(db, scope, "1.1.0", "1.2.0")

    extras = {"accountId": None, "metadata": None}
    assert every_five_minutes.fields == (
        ValueChange(
            "trigger.schedule",
            CRON_TRIGGER["schedule"] | extras,
            INTERVAL_TRIGGER["schedule"] | extras,
        ),
    )
    assert [change.field for change in now_static.fields] == [
        "trigger.rule",
        "trigger.schedule",
        "trigger.title",
        "trigger.type",
    ]
    assert ValueChange("trigger.type", "scheduled", "static") in now_static.fields


async def test_a_version_without_a_stored_trigger(
    db: Database, endpoint: Endpoint, scope: EnvironmentScope
) -> None:
    linked = job_metadata()
    linked["trigger"]["link"] = "https://example.com/orders"
    await _register(db, endpoint, linked)
    await _register(db, endpoint, job_metadata(version="1.1.0", trigger={"type": "invoke"}))
    async with db.transaction() as session:  # 1.0.0 as registered before migration 0002
        await session.execute(
            update(JobVersion).where(JobVersion.version == "1.0.0").values(trigger=None)
        )

    diff = await _diff(db, scope, "1.0.0", "1.1.0")

    # only the static extras were kept in their own columns; the rest counts as absent
    assert diff.fields == (
        ValueChange("trigger.link", "https://example.com/orders", None),
        ValueChange("trigger.type", None, "invoke"),
    )
