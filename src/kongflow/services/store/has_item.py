"""Tell whether a key of the key-value store holds a value (``io.store.*.has``)."""

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import KeyValueItem
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.store.rules import check_key


async def has_item(session: AsyncSession, scope: EnvironmentScope, key: str) -> bool:
    """True when ``key`` holds a value in ``scope``'s environment."""
    check_key(key)
    found = await session.scalar(
        select(exists().where(KeyValueItem.environment_id == scope.id, KeyValueItem.key == key))
    )
    return bool(found)
