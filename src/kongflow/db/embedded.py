"""The embedded PostgreSQL that makes kongflow work with nothing installed.

With no ``KONGFLOW_DATABASE_URL``, kongflow runs PostgreSQL from the ``pgserver``
wheel in ``<data_dir>/pgdata``. pgserver counts the processes holding the server:
`kongflow env list` run beside `kongflow serve` reuses the running postmaster, and
only the last process to let go stops it, so no command ever kills another's database.
"""

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kongflow.settings import Settings


@contextmanager
def embedded_server_url(data_dir: Path) -> Iterator[str]:
    """Start (or join) the embedded server in ``data_dir`` and yield its URL.

    The server is released when the block exits, and stopped if this process was
    its last user. Callers that must survive SIGTERM rely on the block exiting:
    `serve` turns the signal into a normal shutdown.
    """
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.resolve() / "run"))
    (data_dir / "run").mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(  # type: ignore[attr-defined]
            data_dir.resolve() / "pgdata", cleanup_mode="stop"
        )
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield the URL of the database this process should use.

    That is ``KONGFLOW_DATABASE_URL`` when set, otherwise the embedded server.
    """
    if settings.database_url is not None:
        yield settings.database_url
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with embedded_server_url(settings.data_dir) as url:
        yield url
