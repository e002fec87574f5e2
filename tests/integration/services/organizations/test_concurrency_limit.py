"""An organization's concurrency limit, read and changed as `kongflow org concurrency`
does, on real PostgreSQL."""

import pytest
from sqlalchemy import select, text

from kongflow.crypto import InstanceKey
from kongflow.db.orm import ExecutionWait, Organization
from kongflow.db.session import Database
from kongflow.errors import NotFound, ValidationFailed
from kongflow.services.organizations.concurrency_limit import (
    list_concurrency_limits,
    set_concurrency_limit,
)
from tests.support.cli import kongflow
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run, queued_executions
from tests.support.tenancy import bootstrap


async def test_raising_the_limit_wakes_the_runs_waiting_for_a_place(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    run = await make_run(db, await make_endpoint(db, "dev"))
    async with db.transaction() as session:  # its execution ran and found no place
        await session.execute(text("DELETE FROM procrastinate_jobs"))
        session.add(ExecutionWait(run_id=run.id, keys=[f"org:{run.organization_id}"]))
        [default] = await list_concurrency_limits(session)
    assert (default.slug, default.concurrency_limit) == ("default", 10)

    async with db.transaction() as session:
        lowered = await set_concurrency_limit(session, 5)
    assert lowered.concurrency_limit == 5
    assert await queued_executions(db) == []  # lowering frees no room

    async with db.transaction() as session:
        await set_concurrency_limit(session, 20, slug="default")
        stored = await session.scalar(select(Organization.maximum_concurrency_limit))
        waits = list(await session.scalars(select(ExecutionWait.run_id)))
    assert stored == 20 and waits == []
    assert await queued_executions(db) == [run.id]


async def test_bad_limits_and_unknown_or_unnamed_organizations_are_refused(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    async with db.transaction() as session:
        for bad in (0, -1, 10_001):
            with pytest.raises(ValidationFailed) as refused:
                await set_concurrency_limit(session, bad)
            assert refused.value.code == "invalid_concurrency_limit"
        with pytest.raises(NotFound) as unknown:
            await set_concurrency_limit(session, 5, slug="acme")
        assert unknown.value.code == "organization_not_found"
        with pytest.raises(NotFound):
            await list_concurrency_limits(session, slug="acme")
        session.add(Organization(slug="acme", title="Acme"))
        await session.flush()
        with pytest.raises(ValidationFailed) as unnamed:
            await set_concurrency_limit(session, 5)
        assert unnamed.value.code == "organization_required"
        assert (await set_concurrency_limit(session, 5, slug="acme")).concurrency_limit == 5


async def test_the_org_command_shows_and_sets_the_limit(
    db: Database, database_url: str, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    shown = kongflow(database_url, "org", "concurrency")
    assert shown.returncode == 0, shown.stderr
    assert "default" in shown.stdout and "10" in shown.stdout

    changed = kongflow(database_url, "org", "concurrency", "25", "--json")
    assert changed.returncode == 0, changed.stderr
    assert '"concurrencyLimit": 25' in changed.stdout

    refused = kongflow(database_url, "org", "concurrency", "0")
    assert refused.returncode == 1 and "between 1 and 10000" in refused.stderr
