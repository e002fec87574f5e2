"""The FastAPI application factory.

The app is built around existing :class:`~kongflow.resources.Resources` so that
`kongflow serve` and the tests decide where the database is; the app only uses them.
"""

from fastapi import FastAPI

import kongflow
from kongflow.api import health
from kongflow.api.errors import install_error_handlers
from kongflow.api.key_cache import KeyCache
from kongflow.api.manage import jobs as manage_jobs
from kongflow.api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from kongflow.api.v1 import (
    endpoints,
    events,
    logs,
    pending,
    runs,
    schedules,
    statuses,
    store,
    tasks,
    whoami,
)
from kongflow.resources import Resources


def create_app(resources: Resources) -> FastAPI:
    """Build the HTTP app on a process's resources."""
    app = FastAPI(
        title="kongflow",
        version=kongflow.__version__,
        description="Self-hosted background jobs, compatible with the trigger.dev v2 SDK.",
        # kongflow configures no OpenTelemetry provider: without this, FastAPI looks
        # for one on every request (about 3% of an ingest request's CPU).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.resources = resources
    app.state.key_cache = KeyCache()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=resources.settings.max_request_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(whoami.router)
    app.include_router(endpoints.router)
    app.include_router(events.router)
    app.include_router(store.router)  # before pending: its {endpoint_slug} paths overlap
    app.include_router(statuses.router)
    app.include_router(logs.router)
    app.include_router(tasks.router)
    app.include_router(runs.router)
    app.include_router(schedules.router)
    app.include_router(pending.build_router())
    app.include_router(manage_jobs.router)
    return app
