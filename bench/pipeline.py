"""Shared set-up for the run benchmarks: `kongflow serve` (and workers), the benchmark
endpoint in its own process, registered and indexed, ready to receive events."""

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.server import Server, kongflow_process, kongflow_server


@dataclass(frozen=True)
class Pipeline:
    server: Server
    arrivals: Path  # one line per EXECUTE_JOB the endpoint received: "<event id> <epoch s>"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.dev_key}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def pipeline(
    database_url: str, *, extra_workers: int = 0, api_processes: int = 1, **env: str
) -> Iterator[Pipeline]:
    """Serve kongflow, run the endpoint, register it, and wait for its index."""
    with (
        tempfile.TemporaryDirectory() as folder,
        kongflow_server(database_url, api_processes=api_processes, **env) as server,
        contextlib.ExitStack() as workers,
    ):
        for _ in range(extra_workers):
            workers.enter_context(kongflow_process(database_url, "worker", **env))
        arrivals = Path(folder) / "arrivals.txt"
        arrivals.touch()
        port = _free_port()
        endpoint = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.endpoint",
                str(port),
                server.url,
                server.dev_key,
                str(arrivals),
            ]
        )
        try:
            url = f"http://127.0.0.1:{port}/api/trigger"
            auth = {"Authorization": f"Bearer {server.dev_key}"}
            deadline = time.monotonic() + 30
            while True:
                try:
                    created = httpx.post(
                        f"{server.url}/api/v1/endpoints",
                        json={"id": "bench-app", "url": url},
                        headers=auth,
                        timeout=30,
                    )
                    if created.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"could not register the endpoint: {created.text}")
                time.sleep(0.2)
            index_id = created.json()["endpointIndex"]["id"]
            while (
                httpx.get(f"{server.url}/api/v1/endpointindex/{index_id}", headers=auth).json()[
                    "status"
                ]
                != "SUCCESS"
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the endpoint was not indexed")
                time.sleep(0.1)
            yield Pipeline(server=server, arrivals=arrivals)
        finally:
            endpoint.terminate()
            endpoint.wait(timeout=10)
