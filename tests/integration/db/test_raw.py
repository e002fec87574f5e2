"""Statements sent straight to asyncpg belong to the session's transaction, and rows
they read stand in for ORM objects."""

import asyncio

import pytest
from sqlalchemy import text

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Run
from kongflow.db.raw import (
    column_values,
    driver_connection,
    jsonb,
    select_list,
    transient,
    write_changes,
)
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import bootstrap


async def test_a_first_raw_statement_begins_the_transaction_and_rolls_back_with_it(
    db: Database,
) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            connection = await driver_connection(session)
            await connection.execute("CREATE TEMP TABLE raw_probe (n int)")
            await connection.execute("INSERT INTO raw_probe VALUES (1)")
            # The ORM sees the raw statement's work: one transaction, one connection.
            assert (await session.scalar(text("SELECT count(*) FROM raw_probe"))) == 1
            raise RuntimeError("roll back")
    async with db.transaction() as session:
        connection = await driver_connection(session)
        missing = await connection.fetchval("SELECT to_regclass('pg_temp.raw_probe')")
        assert missing is None


async def test_jsonb_parameters_and_results_round_trip(db: Database) -> None:
    async with db.transaction() as session:
        connection = await driver_connection(session)
        value = {"a": [1, "two", None], "b": {"c": True}}
        assert await connection.fetchval("SELECT $1::jsonb", jsonb(value)) == value
        assert await connection.fetchval("SELECT $1::jsonb", jsonb(None)) is None


async def test_a_transient_row_reads_like_the_orm_and_writes_back_only_what_changed(
    db: Database, instance_key: InstanceKey
) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    made = await make_run(db, endpoint, status=RunStatus.EXECUTING, output={"kept": [1, 2]})
    select_run = f"SELECT {select_list(Run, 'r')} FROM runs r WHERE r.id = $1"
    async with db.transaction() as session:
        connection = await driver_connection(session)
        run = transient(Run, await connection.fetchrow(select_run, made.id), "r")
        loaded = await session.get_one(Run, made.id)
        assert column_values(run) == column_values(loaded)  # enums, JSON, arrays alike
        assert run.status is RunStatus.EXECUTING and run.output == {"kept": [1, 2]}
        assert run not in session

        read = column_values(run)
        run.status = RunStatus.SUCCESS
        run.properties = [{"label": "done", "text": "yes"}]
        run.yielded_executions.append("first")  # in place: still a change
        await write_changes(session, run, read)
        written = await connection.fetchrow(
            "SELECT status, properties, yielded_executions, output, updated_at > $2 AS touched "
            "FROM runs WHERE id = $1",
            made.id,
            loaded.updated_at,
        )
    assert dict(written) == {
        "status": "SUCCESS",
        "properties": [{"label": "done", "text": "yes"}],
        "yielded_executions": ["first"],
        "output": {"kept": [1, 2]},  # unchanged, so not written
        "touched": True,
    }


async def test_nothing_changed_writes_nothing(db: Database, instance_key: InstanceKey) -> None:
    await bootstrap(db, instance_key)
    endpoint = await make_endpoint(db)
    made = await make_run(db, endpoint)
    async with db.transaction() as session:
        connection = await driver_connection(session)
        select_run = f"SELECT {select_list(Run, 'r')} FROM runs r WHERE r.id = $1"
        run = transient(Run, await connection.fetchrow(select_run, made.id), "r")
        await write_changes(session, run, column_values(run))
        after = await connection.fetchval("SELECT updated_at FROM runs WHERE id = $1", made.id)
    assert after == made.updated_at


async def test_one_session_transaction_has_one_connection_and_the_next_begins_again(
    db: Database,
) -> None:
    in_transaction = "SELECT now() < statement_timestamp()"  # now() is the BEGIN's time
    async with db.sessions() as session:
        async with session.begin():
            first = await driver_connection(session)
            assert await driver_connection(session) is first
        async with session.begin():
            connection = await driver_connection(session)
            await asyncio.sleep(0.01)
            assert await connection.fetchval(in_transaction) is True
