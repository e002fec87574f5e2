"""``/api/v1/store/{key}``: the key-value store behind ``io.store`` and
``TriggerClient.store*``, scoped to the caller's environment.

* ``GET`` → ``{"action": "GET", "key", "value"?}`` (no ``value`` when the key is empty)
* ``PUT`` (body: JSON text, sent as ``text/plain``) → ``{"action": "SET", "key", "value"}``
* ``DELETE`` → ``{"action": "DELETE", "key", "deleted": bool}``
* ``HEAD`` → 200 when the key holds a value, 404 when not; never a body

The SDK sends the key through ``encodeURIComponent`` (``run%3Arun_1%3Acounter``); it is
stored decoded (``run:run_1:counter``) and echoed encoded, as the SDK sent it. The
echo is informational: the SDK does not read it.

An encoded slash stays part of the key (``a%2Fb`` is the key ``a/b``), as in v2's
router, so the routes match on the raw path: a literal ``/`` after ``/api/v1/store/``
means the request is not for the store (it may be ``/api/v1/{endpoint}/auth/…`` of an
endpoint called ``store``) and the route lets it pass.
"""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from kongflow.api.deps import EnvironmentDep, SessionDep
from kongflow.services.store.delete_item import delete_item
from kongflow.services.store.get_item import get_item
from kongflow.services.store.has_item import has_item
from kongflow.services.store.set_item import set_item

STORE_PREFIX = "/api/v1/store/"
_RAW_PREFIX = STORE_PREFIX.encode("ascii")


class _EncodedKeyRoute(APIRoute):
    """Matches only when the key is one segment of the raw path (slashes encoded)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        raw_path = scope.get("raw_path")
        if match is not Match.NONE and isinstance(raw_path, bytes):
            _, found, raw_key = raw_path.partition(_RAW_PREFIX)
            if found and b"/" in raw_key:
                return Match.NONE, {}
        return match, child_scope


router = APIRouter(prefix="/api/v1/store", tags=["store"], route_class=_EncodedKeyRoute)


def _wire_key(key: str) -> str:
    """``key`` as ``encodeURIComponent`` writes it."""
    return quote(key, safe="!~*'()")


@router.get("/{key:path}")
async def get_value(key: str, environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """The value under ``key`` (JSON text), or no ``value`` when there is none."""
    async with session.begin():
        value = await get_item(session, environment, key)
    answer: dict[str, Any] = {"action": "GET", "key": _wire_key(key)}
    if value is not None:
        answer["value"] = value.decode("utf-8", errors="replace")
    return answer


@router.put("/{key:path}")
async def set_value(
    key: str, request: Request, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Store the body (JSON text, at most 256 KiB) under ``key``."""
    body = await request.body()
    async with session.begin():
        value = await set_item(session, environment, key, body)
    return {"action": "SET", "key": _wire_key(key), "value": value}


@router.delete("/{key:path}")
async def delete_value(
    key: str, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Remove ``key``; ``deleted`` tells whether it held a value."""
    async with session.begin():
        deleted = await delete_item(session, environment, key)
    return {"action": "DELETE", "key": _wire_key(key), "deleted": deleted}


@router.head("/{key:path}")
async def has_value(key: str, environment: EnvironmentDep, session: SessionDep) -> Response:
    """200 when ``key`` holds a value, 404 when not (no body either way)."""
    async with session.begin():
        present = await has_item(session, environment, key)
    return Response(status_code=200 if present else 404)
