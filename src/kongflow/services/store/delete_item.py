"""Remove a key from the key-value store (``io.store.*.delete``)."""

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import KeyValueItem
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.store.rules import check_key


async def delete_item(session: AsyncSession, scope: EnvironmentScope, key: str) -> bool:
    """Delete ``key`` from ``scope``'s environment; False when it held nothing."""
    check_key(key)
    deleted = await session.scalar(
        delete(KeyValueItem)
        .where(KeyValueItem.environment_id == scope.id, KeyValueItem.key == key)
        .returning(KeyValueItem.id)
    )
    return deleted is not None
