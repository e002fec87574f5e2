"""One user-given PostgreSQL URL becomes the right URL for each driver."""

import pytest
from psycopg.conninfo import conninfo_to_dict

from kongflow.db.urls import asyncpg_url, libpq_conninfo, psycopg_url


def test_driver_variants_keep_host_user_and_database() -> None:
    url = "postgresql://kong:pw@db.example:5433/jobs"
    assert asyncpg_url(url).render_as_string(hide_password=False) == (
        "postgresql+asyncpg://kong:pw@db.example:5433/jobs"
    )
    assert psycopg_url(url).drivername == "postgresql+psycopg"
    assert libpq_conninfo(url) == url


def test_unix_socket_urls_survive() -> None:
    url = "postgresql://postgres:@/postgres?host=/tmp/pg"
    assert asyncpg_url(url).query["host"] == "/tmp/pg"
    assert conninfo_to_dict(libpq_conninfo(url))["host"] == "/tmp/pg"


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        asyncpg_url("mysql://root@localhost/db")
