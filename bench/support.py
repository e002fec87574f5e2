"""Shared set-up for benchmarks: a fresh, migrated, bootstrapped database.

``KONGFLOW_BENCH_DATABASE_URL`` names a server to use; otherwise the embedded server
runs in a temporary directory. The benchmark's database is dropped afterwards.
"""

import contextlib
import os
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from kongflow.db.embedded import embedded_server_url
from kongflow.db.migrate import upgrade
from kongflow.db.urls import psycopg_url


@contextlib.contextmanager
def _server_url() -> Iterator[str]:
    configured = os.environ.get("KONGFLOW_BENCH_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory() as directory, embedded_server_url(Path(directory)) as url:
        yield url


def _admin(server_url: str, statement: str) -> None:
    engine = create_engine(
        psycopg_url(server_url), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """Yield the URL of a new database migrated to head; drop it afterwards."""
    name = f"kongflow_bench_{uuid.uuid4().hex[:8]}"
    with _server_url() as server:
        _admin(server, f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``samples`` (inclusive method)."""
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(samples, n=1000, method="inclusive")
    return cuts[min(len(cuts) - 1, max(0, round(fraction * 1000) - 1))]
