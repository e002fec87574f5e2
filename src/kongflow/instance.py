"""Bring up what every kongflow command needs: the database (embedded or not), the
migrated schema, the instance key and, on first start, the default tenancy."""

from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass

from kongflow.crypto import InstanceKey
from kongflow.db.embedded import database_url
from kongflow.db.migrate import upgrade
from kongflow.db.session import Database
from kongflow.resources import Resources, open_resources
from kongflow.services.bootstrap import BootstrapResult, bootstrap_instance
from kongflow.settings import Settings


@dataclass
class Instance:
    """A ready database URL with the key that reads its secrets."""

    url: str
    key: InstanceKey


@contextmanager
def open_instance(settings: Settings) -> Iterator[Instance]:
    """Yield a migrated database; with the embedded server, release it afterwards."""
    key = InstanceKey.load(settings)
    with database_url(settings) as url:
        upgrade(url)
        yield Instance(url=url, key=key)


def open_instance_resources(
    instance: Instance, settings: Settings, *, pool_size: int = 10
) -> AbstractAsyncContextManager[Resources]:
    """Open the process resources (pool, HTTP client) for ``instance``."""
    return open_resources(instance.url, instance.key, settings, pool_size=pool_size)


async def ensure_bootstrapped(database: Database, key: InstanceKey) -> BootstrapResult | None:
    """Create the default tenancy on first start; ``None`` when it already existed."""
    async with database.transaction() as session:
        return await bootstrap_instance(session, key)
