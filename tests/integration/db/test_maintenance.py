"""The periodic VACUUM of the tables every execution churns, on real PostgreSQL."""

from sqlalchemy import bindparam, text

from kongflow.db.maintenance import BUSY_TABLES, vacuum_busy_tables
from kongflow.db.session import Database

_MANUAL_VACUUMS = text(
    "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname IN :tables"
).bindparams(bindparam("tables", expanding=True))


async def _manual_vacuums(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(_MANUAL_VACUUMS, {"tables": list(BUSY_TABLES)})
        return {name: count for name, count in rows}


async def test_every_busy_table_is_vacuumed(db: Database) -> None:
    async with db.transaction() as session:  # a dead queue row for the VACUUM to clear
        await session.execute(
            text(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, args) "
                "VALUES ('maintenance-test', 'maintenance_test', '{}')"
            )
        )
        await session.execute(
            text("DELETE FROM procrastinate_jobs WHERE task_name = 'maintenance_test'")
        )
    before = await _manual_vacuums(db)

    await vacuum_busy_tables(db)

    after = await _manual_vacuums(db)
    assert set(after) == set(BUSY_TABLES)
    assert all(after[table] == before.get(table, 0) + 1 for table in after), (before, after)
