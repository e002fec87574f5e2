"""What one kongflow process shares between its requests and its worker jobs.

Built once at start (``open_resources``) and handed to the API app and the worker,
so both use the same database pool, the same keep-alive HTTP client for calls to
user endpoints, and the same instance key.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from kongflow.crypto import InstanceKey
from kongflow.db.session import Database
from kongflow.settings import Settings

ENDPOINT_CONNECTIONS = 100


@dataclass
class Resources:
    """The database, the endpoint HTTP client, the instance key and the settings."""

    database: Database
    http: aiohttp.ClientSession
    key: InstanceKey
    settings: Settings


def endpoint_http_client() -> aiohttp.ClientSession:
    """The client for calls to user endpoints (timeouts are set per call); create it
    with the event loop running."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=ENDPOINT_CONNECTIONS), trust_env=False
    )


@asynccontextmanager
async def open_resources(
    database_url: str, key: InstanceKey, settings: Settings, *, pool_size: int = 10
) -> AsyncIterator[Resources]:
    """Open the pool and the HTTP client for a process; close both on exit."""
    database = Database.connect(database_url, pool_size=pool_size)
    http = endpoint_http_client()
    try:
        yield Resources(database=database, http=http, key=key, settings=settings)
    finally:
        await http.close()
        await database.dispose()
