"""Plain asyncpg statements inside a session's transaction, for the run engine's hot path.

Every single-task run makes about twenty statements, and on this 2-core machine
Python CPU is what limits run throughput. Measured with ``bench/statement_cost.py``
(a one-row select by primary key, client CPU per transaction): about 1.0 ms through
the ORM, 0.7 ms through SQLAlchemy Core and 0.6 ms through asyncpg in the session,
most of that being the transaction itself; a second statement in the same
transaction adds about 0.5 ms through the ORM and 0.08 ms through asyncpg. So the
statements a run makes on every execution go through here, in the caller's session
and transaction; everything else stays ORM.

The connection is SQLAlchemy's, with SQLAlchemy's type codecs: ``jsonb`` parameters
are JSON *text* (use :func:`jsonb`) and ``jsonb`` results arrive parsed; enums are
plain strings both ways.
"""

import json
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.session import Database


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of ``session``'s transaction, with that transaction begun.

    SQLAlchemy's asyncpg adapter sends ``BEGIN`` lazily, before its own first
    statement; a statement sent straight to the driver before that would run outside
    the transaction (and commit on its own), so the adapter is asked to begin first.
    """
    connection = await session.connection()
    adapter: Any = (await connection.get_raw_connection()).dbapi_connection
    if adapter._transaction is None:
        await adapter._start_transaction()
    driver: asyncpg.Connection = adapter.driver_connection
    return driver


def jsonb(value: Any) -> str | None:
    """``value`` as a ``jsonb`` parameter (``None`` stays SQL NULL)."""
    return None if value is None else json.dumps(value)


async def autocommit(database: Database, sql: str, *args: Any) -> Any:
    """Run one statement as a transaction of its own and return its first value.

    For a statement that must commit whatever the caller's transaction does, or that
    is atomic on its own (one ``UPDATE`` with its CTEs), so that no ``BEGIN`` and
    ``COMMIT`` round trips are spent on it.
    """
    async with database.engine.connect() as connection:
        adapter: Any = (await connection.get_raw_connection()).dbapi_connection
        driver: asyncpg.Connection = adapter.driver_connection
        return await driver.fetchval(sql, *args)
