"""Reading a run's context in one statement gives what the ORM would load."""

from sqlalchemy import update

from kongflow.crypto import InstanceKey
from kongflow.db.orm import (
    Endpoint,
    Environment,
    EventRecord,
    ExternalAccount,
    Job,
    JobVersion,
    Organization,
    Project,
    Run,
)
from kongflow.db.raw import column_values
from kongflow.db.session import Database
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.runs.run_context import read_run_context
from tests.support.jobs import make_endpoint, scope_of
from tests.support.runs import make_run
from tests.support.tenancy import bootstrap


async def test_the_context_holds_the_rows_the_orm_would_load(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    made = await make_run(db, endpoint)
    async with db.transaction() as session:
        account_id = await ensure_external_account(session, await scope_of(db), "acct-7")
        await session.execute(
            update(Run).where(Run.id == made.id).values(external_account_id=account_id)
        )

    async with db.transaction() as session:
        context = await read_run_context(session, made.id)
        assert context is not None
        run = await session.get_one(Run, made.id)
        expected = {
            "run": run,
            "event": await session.get_one(EventRecord, run.event_id),
            "endpoint": await session.get_one(Endpoint, run.endpoint_id),
            "version": await session.get_one(JobVersion, run.version_id),
            "job": await session.get_one(Job, run.job_id),
            "environment": await session.get_one(Environment, run.environment_id),
            "organization": await session.get_one(Organization, run.organization_id),
            "project": await session.get_one(Project, run.project_id),
            "account": await session.get_one(ExternalAccount, account_id),
        }
    for name, loaded in expected.items():
        assert column_values(getattr(context, name)) == column_values(loaded), name
    assert context.account is not None and context.account.identifier == "acct-7"
    assert context.group_limit is None


async def test_a_run_without_an_account_has_none_and_an_unknown_run_no_context(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    made = await make_run(db, await make_endpoint(db))
    async with db.transaction() as session:
        context = await read_run_context(session, made.id)
        assert context is not None and context.account is None
        assert await read_run_context(session, "run_missing") is None
