"""Find or create the external account an ``accountId`` names.

v2 upserts the account (create if missing, never update) whenever an API call
carries an ``accountId``: events, invokes, tests and schedules all do.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import ExternalAccount
from kongflow.db.upsert import insert_if_absent
from kongflow.domain.tenancy import EnvironmentScope


async def ensure_external_account(
    session: AsyncSession, scope: EnvironmentScope, identifier: str
) -> str:
    """The id of the environment's external account ``identifier``, created if new."""
    await insert_if_absent(
        session,
        ExternalAccount,
        {
            "identifier": identifier,
            "environment_id": scope.id,
            "organization_id": scope.organization_id,
        },
        key=["environment_id", "identifier"],
    )
    account_id = await session.scalar(
        select(ExternalAccount.id).where(
            ExternalAccount.environment_id == scope.id, ExternalAccount.identifier == identifier
        )
    )
    assert account_id is not None
    return account_id
