"""``GET /api/v1/whoami``: the v2 CLI's first call, telling it which environment its
key belongs to."""

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kongflow.api.deps import EnvironmentDep, SessionDep
from kongflow.db.orm import Environment
from kongflow.domain.protocol.base import iso

router = APIRouter()


@router.get("/api/v1/whoami")
async def whoami(environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """Describe the caller's environment with its project and organization."""
    async with session.begin():
        row = await session.scalar(
            select(Environment)
            .where(Environment.id == environment.id)
            .options(selectinload(Environment.project), selectinload(Environment.organization))
        )
    assert row is not None  # the key was resolved to this id a moment ago
    return {
        "id": row.id,
        "slug": row.slug,
        "type": row.type.value,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "pkApiKey": row.pk_api_key,
        "project": {
            "id": row.project.id,
            "slug": row.project.slug,
            "name": row.project.name,
            "createdAt": iso(row.project.created_at),
            "updatedAt": iso(row.project.updated_at),
        },
        "organization": {
            "id": row.organization.id,
            "slug": row.organization.slug,
            "title": row.organization.title,
            "createdAt": iso(row.organization.created_at),
            "updatedAt": iso(row.organization.updated_at),
        },
    }
