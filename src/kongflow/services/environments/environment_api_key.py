"""The environment's secret API key in clear, for presenting it to its endpoints.

The SDK only trusts calls carrying its own key (``x-trigger-api-key``), so kongflow
decrypts the stored key whenever it calls an endpoint. This is the one place that
does so.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Environment


def decrypt_api_key(key: InstanceKey, environment: Environment) -> str:
    """The secret key of an environment row already loaded."""
    return key.decrypt(environment.api_key_ciphertext)


async def environment_api_key(session: AsyncSession, key: InstanceKey, environment_id: str) -> str:
    """Decrypt the secret key of ``environment_id``."""
    ciphertext = await session.scalar(
        select(Environment.api_key_ciphertext).where(Environment.id == environment_id)
    )
    if ciphertext is None:
        raise LookupError(f"no environment {environment_id}")
    return key.decrypt(ciphertext)
