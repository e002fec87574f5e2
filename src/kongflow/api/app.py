"""The FastAPI application factory.

The app is built around an existing :class:`Database` so that `kongflow serve` and
the tests decide where the database is; the app only uses it.
"""

from fastapi import FastAPI

import kongflow
from kongflow.api import health
from kongflow.api.errors import install_error_handlers
from kongflow.api.manage import jobs as manage_jobs
from kongflow.api.middleware import RequestIdMiddleware
from kongflow.api.v1 import whoami
from kongflow.db.session import Database
from kongflow.settings import Settings


def create_app(database: Database, settings: Settings) -> FastAPI:
    """Build the HTTP app serving ``database``."""
    app = FastAPI(
        title="kongflow",
        version=kongflow.__version__,
        description="Self-hosted background jobs, compatible with the trigger.dev v2 SDK.",
    )
    app.state.database = database
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health.router)
    app.include_router(whoami.router)
    app.include_router(manage_jobs.router)
    return app
