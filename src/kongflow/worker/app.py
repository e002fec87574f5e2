"""The procrastinate app every kongflow process shares, and how to run its worker.

Tasks are declared on :data:`app` at import time (``kongflow.worker.tasks``); the
connection is attached per process with :func:`connected_app`, because the database
URL is only known once settings are read (and the embedded server is started).
Worker tasks are thin: they open a transaction and call a service. They find the
process's :class:`~kongflow.db.session.Database` in ``context.additional_context``.
"""

from typing import Any

import procrastinate

from kongflow.db.session import Database
from kongflow.db.urls import libpq_conninfo

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(),
    import_paths=["kongflow.worker.tasks"],
)


def connected_app(database_url: str, *, max_connections: int = 10) -> procrastinate.App:
    """Return :data:`app` bound to ``database_url``; open it before use."""
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_conninfo(database_url), min_size=1, max_size=max_connections
    )
    return app.with_connector(connector)


def database_of(context: procrastinate.JobContext) -> Database:
    """The Database a worker task should open its transaction on."""
    database: Database = context.additional_context["database"]
    return database


async def run_worker(
    worker_app: procrastinate.App,
    database: Database,
    *,
    concurrency: int,
    wait: bool = True,
    install_signal_handlers: bool = True,
    **options: Any,
) -> None:
    """Run a worker on ``worker_app`` until stopped (or, with ``wait=False``, until the
    queues are empty: that is how tests drive it "once")."""
    await worker_app.run_worker_async(
        concurrency=concurrency,
        wait=wait,
        install_signal_handlers=install_signal_handlers,
        additional_context={"database": database},
        **options,
    )
