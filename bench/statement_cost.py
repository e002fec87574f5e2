"""Benchmark the client CPU one statement costs through each database layer.

Python CPU limits run throughput on this machine, and every run makes a few dozen
statements; this shows what each way of sending one costs, to decide which
statements go through plain asyncpg (``kongflow.db.raw``). Each case is a one-row
select by primary key in its own transaction, measured in process CPU time over
2,000 repetitions after a warm-up.

    .venv/bin/python -m bench.statement_cost
"""

import asyncio
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select, text

from bench.server import dev_key
from bench.support import bench_database
from kongflow.db.orm import Environment
from kongflow.db.raw import driver_connection, raw_transaction
from kongflow.db.session import Database

REPEAT = 2000
ENVIRONMENTS = Environment.__table__


async def _cpu_microseconds(case: Callable[[], Awaitable[None]]) -> float:
    for _ in range(100):
        await case()
    started = time.process_time()
    for _ in range(REPEAT):
        await case()
    return (time.process_time() - started) / REPEAT * 1e6


async def measure(url: str) -> dict[str, float]:
    database = Database.connect(url)
    async with database.transaction() as session:
        environment_id = await session.scalar(select(Environment.id).limit(1))
    by_id = Environment.id == environment_id

    async def empty() -> None:
        async with database.transaction():
            pass

    async def orm() -> None:
        async with database.transaction() as session:
            await session.scalar(select(Environment).where(by_id))

    async def orm_twice() -> None:
        async with database.transaction() as session:
            await session.scalar(select(Environment).where(by_id))
            await session.scalar(
                select(Environment).where(by_id).execution_options(populate_existing=True)
            )

    async def core() -> None:
        async with database.engine.begin() as connection:
            statement = select(ENVIRONMENTS).where(ENVIRONMENTS.c.id == environment_id)
            (await connection.execute(statement)).first()

    async def core_text() -> None:
        async with database.engine.begin() as connection:
            statement = text("SELECT * FROM environments WHERE id = :id")
            (await connection.execute(statement, {"id": environment_id})).first()

    async def raw() -> None:
        async with database.transaction() as session:
            connection = await driver_connection(session)
            await connection.fetchrow("SELECT * FROM environments WHERE id = $1", environment_id)

    async def raw_twice() -> None:
        async with database.transaction() as session:
            connection = await driver_connection(session)
            for _ in range(2):
                await connection.fetchrow(
                    "SELECT * FROM environments WHERE id = $1", environment_id
                )

    async def raw_alone() -> None:
        async with raw_transaction(database) as connection:
            await connection.fetchrow("SELECT * FROM environments WHERE id = $1", environment_id)

    cases = {
        "empty session transaction": empty,
        "ORM select": orm,
        "ORM select, twice": orm_twice,
        "Core select": core,
        "Core text()": core_text,
        "asyncpg in the session (db.raw)": raw,
        "asyncpg in the session, twice": raw_twice,
        "asyncpg, no session (raw_transaction)": raw_alone,
    }
    try:
        return {label: await _cpu_microseconds(case) for label, case in cases.items()}
    finally:
        await database.dispose()


def main() -> None:
    with bench_database() as url:
        dev_key(url)  # bootstraps the environments
        results = asyncio.run(measure(url))
    for label, cost in results.items():
        print(f"{label:<38} {cost:6.0f} µs of client CPU per transaction")


if __name__ == "__main__":
    main()
