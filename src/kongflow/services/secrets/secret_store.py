"""The DATABASE secret store provider, encrypting every value with the instance key.

v2 stored secrets as plain JSON in ``SecretStore.value``; kongflow stores
``{"ciphertext": ...}`` so a database backup does not reveal webhook secrets or
tokens. Secrets are addressed by the key of their ``SecretReference``.
"""

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.crypto import InstanceKey
from kongflow.db.orm import SecretReference, SecretStore
from kongflow.db.upsert import insert_if_absent, upsert_rows


async def ensure_secret_reference(session: AsyncSession, reference_key: str) -> SecretReference:
    """The reference named ``reference_key``, created if new."""
    await insert_if_absent(session, SecretReference, {"key": reference_key}, key=["key"])
    reference = await session.scalar(
        select(SecretReference).where(SecretReference.key == reference_key)
    )
    assert reference is not None
    return reference


async def put_secret(
    session: AsyncSession, key: InstanceKey, reference_key: str, value: Any
) -> None:
    """Store ``value`` (any JSON) under ``reference_key``, replacing what was there."""
    await upsert_rows(
        session,
        SecretStore,
        [{"key": reference_key, "value": {"ciphertext": key.encrypt(json.dumps(value))}}],
        key=["key"],
        update=["value"],
    )


async def get_secret(session: AsyncSession, key: InstanceKey, reference_key: str) -> Any | None:
    """The value stored under ``reference_key``, or None."""
    row = await session.scalar(select(SecretStore.value).where(SecretStore.key == reference_key))
    if row is None:
        return None
    return json.loads(key.decrypt(row["ciphertext"]))
