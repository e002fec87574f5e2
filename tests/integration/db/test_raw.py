"""Statements sent straight to asyncpg belong to the session's transaction."""

import pytest
from sqlalchemy import text

from kongflow.db.raw import driver_connection, jsonb
from kongflow.db.session import Database


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
