"""A bootstrapped instance: the default organization, project and environments."""

from dataclasses import dataclass

from kongflow.crypto import InstanceKey
from kongflow.db.session import Database
from kongflow.instance import ensure_bootstrapped
from kongflow.services.environments.list_environments import list_environments


@dataclass(frozen=True)
class EnvironmentKeys:
    slug: str
    api_key: str
    pk_api_key: str


async def bootstrap(database: Database, key: InstanceKey) -> dict[str, EnvironmentKeys]:
    """Bootstrap the instance and return each environment's keys by slug."""
    await ensure_bootstrapped(database, key)
    async with database.transaction() as session:
        rows = await list_environments(session, key)
    return {row.slug: EnvironmentKeys(row.slug, row.api_key, row.pk_api_key) for row in rows}
