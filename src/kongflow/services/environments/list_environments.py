"""List every environment with its keys, for `kongflow env list` and the dashboard."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Environment


@dataclass(frozen=True)
class EnvironmentKeys:
    """An environment as an operator needs to see it to configure the SDK."""

    slug: str
    type: str
    api_key: str
    pk_api_key: str
    project: str
    organization: str


async def list_environments(session: AsyncSession, key: InstanceKey) -> list[EnvironmentKeys]:
    """All environments, ordered by organization, project and creation."""
    rows = await session.scalars(
        select(Environment)
        .options(selectinload(Environment.project), selectinload(Environment.organization))
        .order_by(Environment.organization_id, Environment.project_id, Environment.created_at)
    )
    return [
        EnvironmentKeys(
            slug=row.slug,
            type=row.type.value,
            api_key=key.decrypt(row.api_key_ciphertext),
            pk_api_key=row.pk_api_key,
            project=row.project.slug,
            organization=row.organization.slug,
        )
        for row in rows
    ]
