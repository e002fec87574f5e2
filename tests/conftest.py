"""Test harness: one real PostgreSQL database per pytest-xdist worker, migrated once.

``KONGFLOW_TEST_DATABASE_URL`` names a server to use (CI points it at the system
PostgreSQL); without it the tests start the embedded server in a shared temporary
directory. Each test starts from empty tables (truncation), so tests may commit.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import procrastinate
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from kongflow.api.app import create_app
from kongflow.crypto import InstanceKey
from kongflow.db.embedded import embedded_server_url
from kongflow.db.migrate import upgrade
from kongflow.db.orm import Base
from kongflow.db.session import Database
from kongflow.db.urls import psycopg_url
from kongflow.resources import Resources, endpoint_http_client
from kongflow.settings import Settings
from kongflow.worker.app import connected_app, run_worker
from tests.support.http import serve_app
from tests.support.tenancy import EnvironmentKeys, bootstrap

TRUNCATED = [table.name for table in Base.metadata.sorted_tables] + [
    "procrastinate_jobs",
    "procrastinate_periodic_defers",
]


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin URL of the PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("KONGFLOW_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    shared = Path(tmp_path_factory.getbasetemp().parent) / "embedded-pg"
    shared.mkdir(exist_ok=True)
    with embedded_server_url(shared) as url:
        yield url


def fresh_database(server_url: str, name: str) -> str:
    """(Re)create database ``name`` on the server and return its URL."""
    admin = create_engine(psycopg_url(server_url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    admin = create_engine(psycopg_url(server_url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id_suffix(request: pytest.FixtureRequest) -> str:
    """Unique per pytest process, so parallel runs on one server never collide."""
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return f"{worker}_{os.getpid()}"


@pytest.fixture(scope="session")
def database_url(server_url: str, worker_id_suffix: str) -> Iterator[str]:
    """This worker's test database, migrated to head (dropped at the end)."""
    name = f"kongflow_test_{worker_id_suffix}"
    url = fresh_database(server_url, name)
    upgrade(url)
    yield url
    drop_database(server_url, name)


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(database_url, pool_size=5)
    yield db
    await db.dispose()


@pytest.fixture
async def db(database: Database) -> Database:
    """The test database with every table emptied."""
    async with database.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TRUNCATED)} RESTART IDENTITY CASCADE"))
    return database


@pytest.fixture(scope="session")
def instance_key() -> InstanceKey:
    return InstanceKey.from_secret("kongflow-tests")


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_key="kongflow-tests")


@pytest.fixture(scope="session")
async def resources(
    database: Database, instance_key: InstanceKey, settings: Settings
) -> AsyncIterator[Resources]:
    """The process resources the API and worker share, on the test database."""
    async with endpoint_http_client() as http:
        yield Resources(database=database, http=http, key=instance_key, settings=settings)


@pytest.fixture(scope="session")
async def worker_app(database_url: str) -> AsyncIterator[procrastinate.App]:
    """kongflow's procrastinate app, connected to the test database."""
    with connected_app(database_url, max_connections=3) as app:
        async with app.open_async():
            yield app


@pytest.fixture
def drain_queue(
    worker_app: procrastinate.App, resources: Resources
) -> Callable[[], Awaitable[None]]:
    """Run the worker until no job is left (the "run once" way; no sleeps)."""

    async def drain() -> None:
        await run_worker(
            worker_app, resources, concurrency=2, wait=False, install_signal_handlers=False
        )

    return drain


@pytest.fixture
async def running_worker(
    worker_app: procrastinate.App, resources: Resources
) -> AsyncIterator[procrastinate.App]:
    """A worker processing jobs in the background for the whole test (for flows that
    must wait for time to pass, such as ``io.wait``)."""
    task = asyncio.create_task(
        run_worker(
            worker_app,
            resources,
            concurrency=4,
            install_signal_handlers=False,
            fetch_job_polling_interval=0.2,
        )
    )
    yield worker_app
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.fixture(scope="session")
async def api_url(resources: Resources) -> AsyncIterator[str]:
    """Base URL of a kongflow API served on loopback for this test session."""
    async with serve_app(create_app(resources)) as url:
        yield url


@pytest.fixture
async def environments(db: Database, instance_key: InstanceKey) -> dict[str, EnvironmentKeys]:
    """A freshly bootstrapped instance: keys of dev, staging and prod by slug."""
    return await bootstrap(db, instance_key)


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as client:
        yield client
