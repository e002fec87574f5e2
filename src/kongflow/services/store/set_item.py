"""Store a value under a key of the key-value store (``io.store.*.set``).

One ``INSERT … ON CONFLICT DO UPDATE``: concurrent writers of one key never fail on
the unique ``(environment_id, key)`` and the last one wins.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import KeyValueItem
from kongflow.db.upsert import upsert_rows
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.store.rules import check_key, check_value


async def set_item(session: AsyncSession, scope: EnvironmentScope, key: str, value: bytes) -> str:
    """Store ``value`` (JSON text, at most 256 KiB) under ``key``, replacing any earlier
    value, and return it as text. Raises ValueTooLarge or InvalidRequest."""
    check_key(key)
    text = check_value(value)
    await upsert_rows(
        session,
        KeyValueItem,
        [{"environment_id": scope.id, "key": key, "value": value}],
        key=("environment_id", "key"),
        update=("value",),
    )
    return text
