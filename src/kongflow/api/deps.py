"""FastAPI dependencies with short names: the session, and the caller's environment.

Every dependency is ``async``: FastAPI runs plain functions in a thread pool, which
cost more than the work they do on every request.

An API key resolves to exactly one environment; every query a route makes is scoped
to it. The resolved environment is a plain frozen value, not an ORM row, so it can
outlive the short transaction that looked it up.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.api.key_cache import KeyCache
from kongflow.crypto import hash_api_key
from kongflow.db.orm import Environment
from kongflow.db.session import Database
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import Unauthorized
from kongflow.resources import Resources

INVALID_KEY_MESSAGE = "Invalid or Missing API key"


@dataclass(frozen=True)
class AuthenticatedEnvironment(EnvironmentScope):
    """The tenant of a request: the environment its API key belongs to."""

    public_key: bool


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_database(resources: ResourcesDep) -> Database:
    return resources.database


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session with no transaction open: the route opens it (``session.begin()``).

    Read straight off the application state rather than through the resources
    dependency: every route takes a session, and each level of dependencies costs
    FastAPI a solve on every request.
    """
    resources: Resources = request.app.state.resources
    async with resources.database.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(INVALID_KEY_MESSAGE)
    return token.strip()


async def _resolve(request: Request, *, allow_public: bool) -> AuthenticatedEnvironment:
    token = _bearer_token(request)
    public = token.startswith("pk_")
    if public and not allow_public:
        raise Unauthorized(INVALID_KEY_MESSAGE)
    lookup = token if public else hash_api_key(token)
    cache: KeyCache[AuthenticatedEnvironment] = request.app.state.key_cache
    known = cache.get(lookup)
    if known is not None:
        return known
    column = Environment.pk_api_key if public else Environment.api_key_hash
    resources: Resources = request.app.state.resources
    async with resources.database.transaction() as session:
        environment = await session.scalar(select(Environment).where(column == lookup))
    if environment is None:
        raise Unauthorized(INVALID_KEY_MESSAGE)
    resolved = AuthenticatedEnvironment(
        id=environment.id,
        slug=environment.slug,
        type=environment.type,
        project_id=environment.project_id,
        organization_id=environment.organization_id,
        public_key=public,
    )
    cache.put(lookup, resolved)
    return resolved


async def authenticated_environment(request: Request) -> AuthenticatedEnvironment:
    """Resolve ``Authorization: Bearer <secret key>`` (``tr_…``) to its environment
    (remembered per process; a key not seen before is looked up in a session of its
    own, so that a route that needs none does not get one)."""
    return await _resolve(request, allow_public=False)


async def environment_from_any_key(request: Request) -> AuthenticatedEnvironment:
    """As :func:`authenticated_environment`, also accepting the public ``pk_…`` key
    (only the few read routes v2 opened to browsers use this)."""
    return await _resolve(request, allow_public=True)


EnvironmentDep = Annotated[AuthenticatedEnvironment, Depends(authenticated_environment)]
AnyKeyEnvironmentDep = Annotated[AuthenticatedEnvironment, Depends(environment_from_any_key)]
