"""Endpoint registration and indexing routes, as the v2 CLI and deploy hooks call them.

* ``POST /api/v1/endpoints`` ``{id, url}``: ping, record, queue an index.
* ``GET /api/v1/endpointindex/{id}``: the CLI polls this until SUCCESS or FAILURE.
* ``POST /api/v1/endpoints/{slug}/index``: re-index now and answer with the result.
* ``POST /api/v1/endpoints/{environmentId}/{slug}/index/{hook}``: unauthenticated
  deploy hook; the secret path segment stands in for the key.
"""

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from kongflow.api.deps import EnvironmentDep, ResourcesDep, SessionDep
from kongflow.db.orm import Endpoint, EndpointIndex
from kongflow.domain.enums import EndpointIndexSource, EndpointIndexStatus
from kongflow.domain.protocol.base import WireModel, iso
from kongflow.domain.protocol.index import JOB_ID_PATTERN
from kongflow.errors import NotFound
from kongflow.services.endpoints.create_endpoint import (
    check_endpoint_url,
    create_endpoint,
    ping_endpoint,
    queue_endpoint_index,
)
from kongflow.services.endpoints.endpoint_api import EndpointApi
from kongflow.services.endpoints.find_endpoint import find_endpoint
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from kongflow.services.environments.environment_api_key import environment_api_key

router = APIRouter(prefix="/api/v1", tags=["endpoints"])


class EndpointCreate(WireModel):
    id: str = Field(min_length=1, max_length=200, pattern=JOB_ID_PATTERN.pattern)
    url: str = Field(min_length=1, max_length=2000)


class IndexRequest(WireModel):
    reason: str | None = Field(default=None, max_length=1000)
    data: dict[str, Any] | None = None


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    """An endpoint as the v2 CLI reads it."""
    return {
        "id": endpoint.id,
        "slug": endpoint.slug,
        "url": endpoint.url,
        "environmentId": endpoint.environment_id,
        "organizationId": endpoint.organization_id,
        "projectId": endpoint.project_id,
        "indexingHookIdentifier": endpoint.indexing_hook_identifier,
        "version": endpoint.version,
        "sdkVersion": endpoint.sdk_version,
        "createdAt": iso(endpoint.created_at),
        "updatedAt": iso(endpoint.updated_at),
    }


def endpoint_index_json(index: EndpointIndex) -> dict[str, Any]:
    """An index attempt with its outcome."""
    return {
        "id": index.id,
        "endpointId": index.endpoint_id,
        "source": index.source.value,
        "reason": index.reason,
        "status": index.status.value,
        "stats": index.stats,
        "error": index.error,
        "data": index.data,
        "createdAt": iso(index.created_at),
        "updatedAt": iso(index.updated_at),
    }


@router.post("/endpoints")
async def register_endpoint(
    body: EndpointCreate,
    environment: EnvironmentDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> dict[str, Any]:
    """Ping the endpoint as client ``id``, record it and queue its index."""
    url = check_endpoint_url(body.url)
    async with session.begin():
        api_key = await environment_api_key(session, resources.key, environment.id)
    api = EndpointApi(
        resources.http, url, api_key, timeout=resources.settings.endpoint_timeout_seconds
    )
    versions = await ping_endpoint(api, body.id)
    async with session.begin():
        created = await create_endpoint(
            session, environment, slug=body.id, url=url, versions=versions
        )
    return {**endpoint_json(created.endpoint), "endpointIndex": {"id": created.index.id}}


@router.get("/endpointindex/{index_id}")
async def read_endpoint_index(
    index_id: str, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """The state of one index attempt (``stats`` on SUCCESS, ``error`` on FAILURE)."""
    async with session.begin():
        index = await session.scalar(
            select(EndpointIndex)
            .join(Endpoint, Endpoint.id == EndpointIndex.endpoint_id)
            .where(EndpointIndex.id == index_id, Endpoint.environment_id == environment.id)
        )
    if index is None:
        raise NotFound(f"No endpoint index {index_id}.", code="endpoint_index_not_found")
    answer: dict[str, Any] = {"status": index.status.value, "updatedAt": iso(index.updated_at)}
    if index.status is EndpointIndexStatus.SUCCESS:
        answer["stats"] = index.stats
        if index.data and index.data.get("jobErrors"):
            answer["jobErrors"] = index.data["jobErrors"]
    elif index.status is EndpointIndexStatus.FAILURE:
        answer["error"] = index.error
    return answer


@router.post("/endpoints/{slug}/index")
async def reindex_endpoint(
    slug: str,
    environment: EnvironmentDep,
    session: SessionDep,
    resources: ResourcesDep,
    body: IndexRequest | None = None,
) -> dict[str, Any]:
    """Index the endpoint now and answer with the finished EndpointIndex."""
    async with session.begin():
        endpoint = await find_endpoint(session, environment, slug)
        index = await queue_endpoint_index(
            session,
            endpoint,
            source=EndpointIndexSource.API,
            reason=body.reason if body else None,
            defer=False,
        )
    finished = await perform_endpoint_index(resources, index.id)
    return endpoint_index_json(finished)


@router.post("/endpoints/{environment_id}/{slug}/index/{hook}")
async def index_hook(
    environment_id: str, slug: str, hook: str, session: SessionDep
) -> dict[str, Any]:
    """Deploy hook: queue an index of the endpoint (no API key; the hook id is secret)."""
    async with session.begin():
        endpoint = await session.scalar(
            select(Endpoint).where(
                Endpoint.environment_id == environment_id,
                Endpoint.slug == slug,
                Endpoint.indexing_hook_identifier == hook,
            )
        )
        if endpoint is None:
            raise NotFound("No endpoint answers to this hook.", code="endpoint_not_found")
        index = await queue_endpoint_index(session, endpoint, source=EndpointIndexSource.HOOK)
    return {"ok": True, "endpointIndex": {"id": index.id}}
