"""The procrastinate app every kongflow process shares, and how to run its worker.

Tasks are declared on :data:`app` at import time (``kongflow.worker.tasks``); the
connection is attached per process with :func:`connected_app`, because the database
URL is only known once settings are read (and the embedded server is started).
Worker tasks are thin: they open a transaction and call a service. They find the
process's :class:`~kongflow.resources.Resources` with :func:`resources_of`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import procrastinate
import psycopg

from kongflow.db.urls import libpq_conninfo
from kongflow.resources import Resources

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(),
    import_paths=["kongflow.worker.tasks"],
)


async def _configure_session(connection: psycopg.AsyncConnection[Any]) -> None:
    """Set up a connection of procrastinate's pool: autocommit, and a fetch planned
    to walk the queue's ``(priority, id)`` index, with one plan kept for the session.

    Autocommit: every query procrastinate sends is one statement, a transaction on its
    own either way, and without it psycopg wraps each in ``BEGIN`` and ``COMMIT``, two
    more round trips for each fetch and each finish.

    The fetch takes the first waiting job in that order. Without statistics saying how
    many jobs wait (a server without autovacuum, or a burst that came after the last
    ANALYZE), PostgreSQL plans it as "read every waiting job, check each one's lock,
    sort, keep one": a cost that grows with the queue (measured: 3 to 4 ms of server
    CPU per fetch with 2,000 jobs waiting, against 0.05 ms walking the index, which
    stops at the first job). So these sessions avoid sorting wherever an index gives
    the order: the setting only makes the planner prefer any plan without a sort, and
    a query that has no such plan is still sorted.

    Once the table has statistics (after a VACUUM), PostgreSQL rather planned the
    fetch afresh on every call than keep its generic plan (0.9 ms per fetch against
    0.4 ms, measured); with sorting off, the generic plan is the index walk whatever
    the statistics say, so it is kept.
    """
    await connection.set_autocommit(True)
    await connection.execute("SET enable_sort = off")
    await connection.execute("SET plan_cache_mode = force_generic_plan")


@contextmanager
def connected_app(database_url: str, *, max_connections: int = 10) -> Iterator[procrastinate.App]:
    """Bind :data:`app` to ``database_url`` for the block; open it before use.

    The app object itself is rebound (not copied) because its tasks, periodic ones
    included, defer through the app they were declared on.
    """
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_conninfo(database_url),
        min_size=1,
        max_size=max_connections,
        configure=_configure_session,
    )
    with app.replace_connector(connector) as bound:
        yield bound


def resources_of(context: procrastinate.JobContext) -> Resources:
    """The process resources (database, HTTP client, key) a worker task uses."""
    resources: Resources = context.additional_context["resources"]
    return resources


async def run_worker(
    worker_app: procrastinate.App,
    resources: Resources,
    *,
    concurrency: int,
    wait: bool = True,
    install_signal_handlers: bool = True,
    **options: Any,
) -> None:
    """Run a worker on ``worker_app`` until stopped (or, with ``wait=False``, until the
    queues are empty: that is how tests drive it "once")."""
    heartbeat = resources.settings.worker_heartbeat_seconds
    await worker_app.run_worker_async(
        concurrency=concurrency,
        wait=wait,
        install_signal_handlers=install_signal_handlers,
        additional_context={"resources": resources},
        update_heartbeat_interval=heartbeat,
        stalled_worker_timeout=heartbeat * 3,
        # Finished jobs are not kept: the domain rows (runs, events) are the record, and a
        # queue table that only grows makes every fetch slower.
        delete_jobs="successful",
        **options,
    )
