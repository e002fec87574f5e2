"""Factories for job metadata (as an endpoint's index declares it), endpoints and
environment scopes, and a query counter for services that promise a query budget."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select

from kongflow.db.orm import Endpoint, Environment, Project
from kongflow.db.session import Database
from kongflow.domain.tenancy import EnvironmentScope


def job_metadata(job_id: str = "order-created", **overrides: Any) -> dict[str, Any]:
    """A valid static-trigger job in the wire shape, with ``overrides`` applied on top."""
    base: dict[str, Any] = {
        "id": job_id,
        "name": f"Job {job_id}",
        "version": "1.0.0",
        "event": {
            "name": "order.created",
            "title": "Order created",
            "source": "trigger.dev",
            "icon": "custom-event",
            "examples": [{"id": "paid", "name": "Paid order", "payload": {"status": "paid"}}],
        },
        "trigger": {
            "type": "static",
            "title": "order.created",
            "rule": {
                "event": "order.created",
                "source": "trigger.dev",
                "payload": {"status": ["paid"]},
            },
        },
        "integrations": {},
        "startPosition": "latest",
        "enabled": True,
        "preprocessRuns": False,
    }
    merged = copy.deepcopy(base)
    merged.update(copy.deepcopy(overrides))
    return merged


CRON_TRIGGER = {
    "type": "scheduled",
    "schedule": {"type": "cron", "options": {"cron": "*/5 * * * *"}},
}
INTERVAL_TRIGGER = {
    "type": "scheduled",
    "schedule": {"type": "interval", "options": {"seconds": 300}},
}


async def make_endpoint(
    database: Database, environment_slug: str = "dev", slug: str = "my-app", url: str | None = None
) -> Endpoint:
    """Create an endpoint in the bootstrapped environment ``environment_slug``."""
    async with database.transaction() as session:
        environment = (
            await session.scalars(select(Environment).where(Environment.slug == environment_slug))
        ).one()
        endpoint = Endpoint(
            slug=slug,
            url=url or f"http://127.0.0.1:9/{slug}",
            environment_id=environment.id,
            organization_id=environment.organization_id,
            project_id=environment.project_id,
        )
        session.add(endpoint)
    return endpoint


async def scope_of(
    database: Database, environment_slug: str = "dev", *, project_id: str | None = None
) -> EnvironmentScope:
    """The scope of environment ``environment_slug``, as a caller's key would resolve it.

    ``project_id`` picks the project when more than one has an environment of that slug.
    """
    query = select(Environment).where(Environment.slug == environment_slug)
    if project_id is not None:
        query = query.where(Environment.project_id == project_id)
    async with database.transaction() as session:
        environment = (await session.scalars(query)).one()
    return EnvironmentScope(
        id=environment.id,
        slug=environment.slug,
        type=environment.type,
        project_id=environment.project_id,
        organization_id=environment.organization_id,
    )


async def make_other_project_endpoint(database: Database, organization_id: str) -> Endpoint:
    """An endpoint in the ``dev`` environment of a second project of the organization."""
    async with database.transaction() as session:
        project = Project(slug="other-project", name="Other", organization_id=organization_id)
        session.add(project)
        await session.flush()
        environment = Environment(
            slug="dev",
            api_key_hash="other-hash",
            api_key_ciphertext="other-ciphertext",
            pk_api_key="pk_other",
            shortcode="other",
            organization_id=organization_id,
            project_id=project.id,
        )
        session.add(environment)
        await session.flush()
        endpoint = Endpoint(
            slug="other-app",
            url="http://127.0.0.1:9/other-app",
            environment_id=environment.id,
            organization_id=organization_id,
            project_id=project.id,
        )
        session.add(endpoint)
    return endpoint


@contextmanager
def count_queries(database: Database) -> Iterator[list[str]]:
    """Collect the SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
