"""The migrations build exactly the schema the ORM declares, and unwind cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from kongflow.db.migrate import downgrade, upgrade
from kongflow.db.orm import Base
from kongflow.db.schema_filter import include_name
from kongflow.db.urls import psycopg_url
from tests.conftest import drop_database, fresh_database


def _drift(url: str) -> list[object]:
    engine = create_engine(psycopg_url(url), poolclass=NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_name": include_name, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    return list(diff)


def _tables(url: str) -> set[str]:
    engine = create_engine(psycopg_url(url), poolclass=NullPool)
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        types = conn.execute(
            text(
                "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e'"
            )
        ).scalar_one()
    engine.dispose()
    return names | ({"<enum types>"} if types else set())


def test_upgrade_matches_orm_then_downgrade_and_upgrade_again(
    server_url: str, worker_id_suffix: str
) -> None:
    url = fresh_database(server_url, f"kongflow_migrations_{worker_id_suffix}")

    upgrade(url)
    assert _drift(url) == []
    tables = _tables(url)
    assert {table.name for table in Base.metadata.sorted_tables} <= tables
    assert "procrastinate_jobs" in tables

    downgrade(url, "base")
    assert _tables(url) == {"alembic_version"}

    upgrade(url)
    assert _drift(url) == []
    assert "procrastinate_jobs" in _tables(url)
    drop_database(server_url, f"kongflow_migrations_{worker_id_suffix}")
