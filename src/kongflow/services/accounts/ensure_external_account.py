"""Find or create the external account an ``accountId`` names.

v2 upserts the account (create if missing, never update) whenever an API call
carries an ``accountId``: events, invokes, tests and schedules all do.
"""

from kongflow.db.orm import ExternalAccount
from kongflow.db.raw import Work, driver_connection
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.ids import new_id

# Two statements, not one: a single statement's read would not see an account that a
# concurrent request inserted while this one waited on the conflict.
_INSERT = (
    "INSERT INTO external_accounts (id, identifier, environment_id, organization_id) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT (environment_id, identifier) DO NOTHING RETURNING id"
)
_FIND = "SELECT id FROM external_accounts WHERE environment_id = $1 AND identifier = $2"


async def ensure_external_account(work: Work, scope: EnvironmentScope, identifier: str) -> str:
    """The id of the environment's external account ``identifier``, created if new."""
    connection = await driver_connection(work)
    created = await connection.fetchval(
        _INSERT, new_id(ExternalAccount.__id_prefix__), identifier, scope.id, scope.organization_id
    )
    if created is not None:
        return str(created)
    return str(await connection.fetchval(_FIND, scope.id, identifier))
