"""CreateEndpoint: register (or move) an endpoint and queue its first index.

What `trigger.dev dev` and `kongflow endpoints add` do: ping the URL with the
environment's key (so a wrong URL, a wrong key or a wrong id fail at once with the
endpoint's own words), then record the endpoint and queue an index in one
transaction.
"""

import secrets
import string
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Endpoint, EndpointIndex
from kongflow.db.upsert import upsert
from kongflow.domain.enums import EndpointIndexSource, EndpointIndexStatus
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import InvalidRequest, ValidationFailed
from kongflow.services.endpoints.endpoint_api import (
    EndpointApi,
    EndpointError,
    EndpointUnreachable,
    EndpointVersions,
)
from kongflow.worker.defer import defer_job
from kongflow.worker.names import INDEX_ENDPOINT

_HOOK_ALPHABET = "".join(c for c in string.digits + string.ascii_lowercase if c != "w")


class EndpointPingFailed(InvalidRequest):
    """The endpoint did not confirm it hosts this client id with this key."""

    code = "failed_ping"


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: Endpoint
    index: EndpointIndex


def check_endpoint_url(url: str) -> str:
    """The URL, if it is an absolute http(s) URL; ValidationFailed otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(
            f"{url!r} is not an http(s) URL.", code="invalid_url", details={"url": url}
        )
    return url.strip()


async def ping_endpoint(api: EndpointApi, slug: str) -> EndpointVersions:
    """PING the endpoint as client ``slug``; :class:`EndpointPingFailed` unless it says ok."""
    try:
        pong, versions = await api.ping(slug)
    except EndpointUnreachable as exc:
        raise EndpointPingFailed(exc.message, code="could_not_connect") from exc
    except EndpointError as exc:
        raise EndpointPingFailed(f"Endpoint ping failed: {exc.message}") from exc
    if not pong.ok:
        raise EndpointPingFailed(f"Endpoint ping failed: {pong.error or 'no reason given'}")
    return versions


async def create_endpoint(
    session: AsyncSession,
    scope: EnvironmentScope,
    *,
    slug: str,
    url: str,
    versions: EndpointVersions,
    index_source: EndpointIndexSource = EndpointIndexSource.INTERNAL,
    defer_index: bool = True,
) -> CreatedEndpoint:
    """Upsert endpoint ``slug`` of the environment at ``url`` and record an index of it
    (queued for a worker unless ``defer_index`` is false: the caller runs it)."""
    endpoint = await upsert(
        session,
        Endpoint,
        {
            "slug": slug,
            "url": url,
            "environment_id": scope.id,
            "organization_id": scope.organization_id,
            "project_id": scope.project_id,
            "indexing_hook_identifier": "".join(secrets.choice(_HOOK_ALPHABET) for _ in range(10)),
            "version": versions.trigger_version or "unknown",
            "sdk_version": versions.sdk_version or "unknown",
        },
        key=["environment_id", "slug"],
        update=["url", "version", "sdk_version"],
    )
    index = await queue_endpoint_index(session, endpoint, source=index_source, defer=defer_index)
    return CreatedEndpoint(endpoint=endpoint, index=index)


async def queue_endpoint_index(
    session: AsyncSession,
    endpoint: Endpoint,
    *,
    source: EndpointIndexSource,
    reason: str | None = None,
    defer: bool = True,
) -> EndpointIndex:
    """Record a PENDING index of ``endpoint``; with ``defer``, queue the worker job that
    runs it (without, the caller runs it inline after committing)."""
    index = EndpointIndex(
        endpoint_id=endpoint.id, source=source, reason=reason, status=EndpointIndexStatus.PENDING
    )
    session.add(index)
    await session.flush()
    if defer:
        await defer_job(session, INDEX_ENDPOINT, {"endpoint_index_id": index.id})
    return index
