"""DiffVersions: field, integration and example changes between two versions of a job."""

from typing import Any

import pytest

from kongflow.db.orm import Endpoint
from kongflow.db.session import Database
from kongflow.domain.protocol.index import parse_job
from kongflow.errors import NotFound
from kongflow.services.jobs.diff_versions import (
    KeyedChanges,
    ValueChange,
    VersionDiff,
    diff_versions,
)
from kongflow.services.jobs.register_job import register_job
from tests.support.jobs import job_metadata, make_endpoint


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
    endpoint: Endpoint,
    from_version: str,
    to_version: str,
    slug: str = "order-created",
) -> VersionDiff:
    async with db.transaction() as session:
        return await diff_versions(
            session,
            project_id=endpoint.project_id,
            environment_id=endpoint.environment_id,
            slug=slug,
            from_version=from_version,
            to_version=to_version,
        )


async def test_changed_filter_integrations_and_examples(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, _paid_only())
    await _register(db, endpoint, _paid_or_refunded())

    diff = await _diff(db, endpoint, "1.0.0", "2.0.0")

    assert (diff.slug, diff.from_version, diff.to_version) == ("order-created", "1.0.0", "2.0.0")
    assert not diff.is_empty
    assert diff.fields == (
        ValueChange("concurrency_limit", None, 5),
        ValueChange("event.filter", {"status": ["paid"]}, {"status": ["paid", "refunded"]}),
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


async def test_diffing_backwards_swaps_before_and_after(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, _paid_only())
    await _register(db, endpoint, _paid_or_refunded())

    diff = await _diff(db, endpoint, "2.0.0", "1.0.0")

    assert ValueChange("concurrency_limit", 5, None) in diff.fields
    assert [change.field for change in diff.integrations.added] == ["chat"]
    assert [change.field for change in diff.integrations.removed] == ["pay"]
    assert [change.field for change in diff.examples.added] == ["refund"]


async def test_event_specification_and_static_trigger_fields(
    db: Database, endpoint: Endpoint
) -> None:
    await _register(db, endpoint, job_metadata())
    changed = job_metadata(version="1.1.0", preprocessRuns=True)
    changed["event"].update(title="Order placed", icon="cart", schema={"type": "object"})
    del changed["event"]["source"]
    changed["trigger"]["link"] = "https://example.com/orders"
    changed["trigger"]["properties"] = [{"label": "Shop", "text": "main"}]
    await _register(db, endpoint, changed)

    diff = await _diff(db, endpoint, "1.0.0", "1.1.0")

    assert diff.fields == (
        ValueChange("event.icon", "custom-event", "cart"),
        ValueChange("event.schema", None, {"type": "object"}),
        ValueChange("event.source", "trigger.dev", None),
        ValueChange("event.title", "Order created", "Order placed"),
        ValueChange("preprocess_runs", False, True),
        ValueChange("properties", None, [{"label": "Shop", "text": "main"}]),
        ValueChange("trigger_link", None, "https://example.com/orders"),
    )
    assert diff.integrations.is_empty and diff.examples.is_empty


async def test_concurrency_group_is_compared_by_name(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, job_metadata(concurrencyLimit={"id": "mail", "limit": 2}))
    await _register(
        db, endpoint, job_metadata(version="1.1.0", concurrencyLimit={"id": "bulk", "limit": 2})
    )

    diff = await _diff(db, endpoint, "1.0.0", "1.1.0")

    assert diff.fields == (ValueChange("concurrency_limit_group", "mail", "bulk"),)


async def test_json_values_are_compared_strictly(db: Database, endpoint: Endpoint) -> None:
    first = job_metadata()
    first["event"]["examples"][0]["payload"] = {"paid": 1}
    second = job_metadata(version="1.1.0")
    second["event"]["examples"][0]["payload"] = {"paid": True}  # equal in Python, not in JSON
    await _register(db, endpoint, first)
    await _register(db, endpoint, second)

    diff = await _diff(db, endpoint, "1.0.0", "1.1.0")

    assert [change.field for change in diff.examples.changed] == ["paid"]


async def test_identical_versions_have_an_empty_diff(db: Database, endpoint: Endpoint) -> None:
    await _register(db, endpoint, _paid_only())
    same = _paid_only()
    same["version"] = "1.0.1"
    await _register(db, endpoint, same)

    for pair in [("1.0.0", "1.0.1"), ("1.0.1", "1.0.0"), ("1.0.0", "1.0.0")]:
        diff = await _diff(db, endpoint, *pair)
        assert diff.is_empty
        assert diff.fields == () and diff.integrations == KeyedChanges()
        assert diff.examples == KeyedChanges()


async def test_unknown_version_is_not_found(db: Database, endpoint: Endpoint) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, endpoint, job_metadata())
    await _register(db, prod, job_metadata(version="2.0.0"))  # exists, but not in dev

    for pair in [("1.0.0", "9.9.9"), ("9.9.9", "1.0.0"), ("1.0.0", "2.0.0")]:
        with pytest.raises(NotFound) as error:
            await _diff(db, endpoint, *pair)
        assert error.value.code == "version_not_found"


async def test_unknown_job_is_not_found(db: Database, endpoint: Endpoint) -> None:
    prod = await make_endpoint(db, "prod")
    await _register(db, prod, job_metadata())  # only in prod

    with pytest.raises(NotFound) as error:
        await _diff(db, endpoint, "1.0.0", "1.0.0")
    assert error.value.code == "job_not_found"
    assert (await _diff(db, prod, "1.0.0", "1.0.0")).is_empty
