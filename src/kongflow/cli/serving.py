"""Serving the HTTP API from one or several processes on one port.

One Python process saturates one core at a few hundred requests a second, so
`kongflow serve --api-processes N` starts N-1 extra `kongflow api` processes that
listen on the same port (``SO_REUSEPORT``: the kernel spreads connections between
them). Measured with bench/ingest.py: two processes take about twice the events of
one on this 2-core machine.
"""

import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from kongflow.settings import Settings

EXTRA_API_STOP_SECONDS = 10


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other processes may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def api_server(app: FastAPI) -> uvicorn.Server:
    """The uvicorn server for ``app`` (logging is kongflow's, access log off)."""
    return uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))


@contextlib.contextmanager
def extra_api_processes(count: int, settings: Settings) -> Iterator[None]:
    """Run ``count`` `kongflow api` processes on the settings' port for the block."""
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kongflow.cli",
                "api",
                "--host",
                settings.host,
                "--port",
                str(settings.port),
            ]
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=EXTRA_API_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
