"""Factories for job metadata (as an endpoint's index declares it) and endpoints."""

import copy
from typing import Any

from sqlalchemy import select

from kongflow.db.orm import Endpoint, Environment
from kongflow.db.session import Database


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
