"""Find or create the organization's integration a job or source declares."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Integration, IntegrationDefinition
from kongflow.db.upsert import insert_if_absent
from kongflow.domain.enums import ConnectionType, IntegrationAuthSource, IntegrationSetupStatus
from kongflow.domain.protocol.index import IntegrationConfig


async def find_or_create_integration(
    session: AsyncSession, organization_id: str, config: IntegrationConfig
) -> Integration:
    """The organization's integration ``config.id``, created from the config if new.

    An existing integration is reused; only a changed ``authSource`` is updated
    (v2 never updated it, so switching a key from HOSTED to LOCAL had no effect).
    """
    query = (
        select(Integration)
        .where(Integration.organization_id == organization_id, Integration.slug == config.id)
        .execution_options(populate_existing=True)
    )
    hosted = config.auth_source is IntegrationAuthSource.HOSTED
    connection_type = (
        ConnectionType.EXTERNAL
        if config.auth_source is IntegrationAuthSource.RESOLVER
        else ConnectionType.DEVELOPER
    )
    integration = await session.scalar(query)
    if integration is None:
        await insert_if_absent(
            session,
            IntegrationDefinition,
            {
                "id": config.metadata.id,
                "name": config.metadata.name,
                "instructions": config.metadata.instructions,
            },
            key=["id"],
        )
        values = {
            "organization_id": organization_id,
            "slug": config.id,
            "title": config.id if hosted else config.metadata.name,
            "auth_source": config.auth_source,
            "definition_id": config.metadata.id,
            "setup_status": (
                IntegrationSetupStatus.MISSING_FIELDS if hosted else IntegrationSetupStatus.COMPLETE
            ),
            "connection_type": connection_type,
        }
        await insert_if_absent(session, Integration, values, key=["organization_id", "slug"])
        integration = (await session.scalars(query)).one()
    elif integration.auth_source is not config.auth_source:
        # The code now authenticates differently; a hosted setup stays as it was.
        integration.auth_source = config.auth_source
        integration.connection_type = connection_type
        if not hosted:
            integration.setup_status = IntegrationSetupStatus.COMPLETE
        await session.flush()
    return integration
