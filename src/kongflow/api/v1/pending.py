"""SDK routes whose behaviour has not landed yet: authenticated, and honest about it.

Every route the v2 SDK can call exists, with the authentication v2 required, so a
client learns exactly what is missing instead of meeting a 404 or a fake success.
Each answers 501 with code ``not_implemented`` and the feature's name. An entry is
removed from :data:`PENDING_ROUTES` when the feature's real router is added.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from kongflow.api.deps import authenticated_environment, environment_from_any_key
from kongflow.api.errors import error_body


class Auth(Enum):
    SECRET_KEY = "secret"
    ANY_KEY = "any"  # the public pk_ key is accepted too (read routes v2 opened to browsers)
    NONE = "none"  # callbacks and inbound webhooks authenticate by secret URL


@dataclass(frozen=True)
class PendingRoute:
    methods: tuple[str, ...]
    path: str
    auth: Auth
    feature: str


PENDING_ROUTES: tuple[PendingRoute, ...] = (
    PendingRoute(
        ("POST",),
        "/api/v1/{endpoint_slug}/triggers/{trigger_id}/registrations",
        Auth.SECRET_KEY,
        "dynamic triggers",
    ),
    PendingRoute(
        ("PUT",),
        "/api/v1/{endpoint_slug}/triggers/{trigger_id}/registrations/{key}",
        Auth.SECRET_KEY,
        "dynamic triggers",
    ),
    PendingRoute(
        ("PUT",),
        "/api/v2/{endpoint_slug}/triggers/{trigger_id}/registrations/{key}",
        Auth.SECRET_KEY,
        "dynamic triggers",
    ),
    PendingRoute(("PUT",), "/api/v1/{endpoint_slug}/sources/{key}", Auth.SECRET_KEY, "sources"),
    PendingRoute(("PUT",), "/api/v2/{endpoint_slug}/sources/{key}", Auth.SECRET_KEY, "sources"),
    PendingRoute(("PUT",), "/api/v1/webhooks/{key}", Auth.SECRET_KEY, "webhooks"),
    PendingRoute(("POST",), "/api/v1/sources/http/{source_id}", Auth.NONE, "sources"),
    PendingRoute(
        ("POST",),
        "/api/v1/http-endpoints/{http_endpoint_id}/env/{env_type}/{shortcode}",
        Auth.NONE,
        "HTTP endpoints",
    ),
    PendingRoute(
        ("GET",), "/api/v1/{endpoint_slug}/auth/{integration_id}", Auth.SECRET_KEY, "integrations"
    ),
    PendingRoute(
        ("GET",),
        "/api/v1/integrations/{slug}/connections/{connection_id}",
        Auth.SECRET_KEY,
        "integrations",
    ),
    PendingRoute(
        ("POST",),
        "/api/v1/accounts/{account_id}/connections/{client_slug}",
        Auth.SECRET_KEY,
        "integrations",
    ),
)


_AUTH_DEPENDENCIES = {
    Auth.SECRET_KEY: [Depends(authenticated_environment)],
    Auth.ANY_KEY: [Depends(environment_from_any_key)],
    Auth.NONE: [],
}


def _handler(route: PendingRoute) -> Callable[[Request], Awaitable[JSONResponse]]:
    message = f"{route.feature.capitalize()} is not available in this kongflow version yet."

    async def not_implemented(request: Request) -> JSONResponse:
        body = error_body(request.url.path, "not_implemented", message)
        return JSONResponse(body, status_code=501)

    return not_implemented


def build_router() -> APIRouter:
    """A router with one honest 501 route per pending SDK route."""
    router = APIRouter(tags=["pending"])
    for route in PENDING_ROUTES:
        router.add_api_route(
            route.path,
            _handler(route),
            methods=list(route.methods),
            dependencies=_AUTH_DEPENDENCIES[route.auth],
            summary=f"{route.feature} (not available yet)",
        )
    return router
