"""Read one value of the key-value store (``io.store.*.get``)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import KeyValueItem
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.store.rules import check_key


async def get_item(session: AsyncSession, scope: EnvironmentScope, key: str) -> bytes | None:
    """The value stored under ``key`` in ``scope``'s environment, or None."""
    check_key(key)
    value: bytes | None = await session.scalar(
        select(KeyValueItem.value).where(
            KeyValueItem.environment_id == scope.id, KeyValueItem.key == key
        )
    )
    return value
