"""Find an environment by its slug, for commands run on the server (the CLI)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Environment, Project
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import NotFound


async def find_environment(
    session: AsyncSession, slug: str, *, project: str = "default"
) -> EnvironmentScope:
    """The environment ``slug`` of project ``project`` (by project slug)."""
    row = await session.scalar(
        select(Environment)
        .join(Project, Project.id == Environment.project_id)
        .where(Environment.slug == slug, Project.slug == project)
    )
    if row is None:
        raise NotFound(
            f"No environment {slug!r} in project {project!r}.", code="environment_not_found"
        )
    return EnvironmentScope(
        id=row.id,
        slug=row.slug,
        type=row.type,
        project_id=row.project_id,
        organization_id=row.organization_id,
    )
