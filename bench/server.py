"""Run `kongflow serve` (or `kongflow worker`) as a separate process for a benchmark.

The server under test runs in its own process, as in production, so the load
generator's CPU use is not counted against it (both share this machine's 2 cores).
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

SECRET = "bench-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONGFLOW_")}
    env.update(
        KONGFLOW_DATABASE_URL=database_url,
        KONGFLOW_SECRET_KEY=SECRET,
        KONGFLOW_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


@dataclass(frozen=True)
class Server:
    url: str
    dev_key: str


def dev_key(database_url: str) -> str:
    """The dev environment's secret key (bootstrapping the database if needed)."""
    listed = subprocess.run(
        [sys.executable, "-m", "kongflow.cli", "env", "list", "--json"],
        env=_env(database_url), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return str(json.loads(listed.stdout)[0]["apiKey"])


def set_concurrency_limit(database_url: str, limit: int) -> None:
    """Let the (only) organization have ``limit`` executions in flight at once."""
    subprocess.run(
        [sys.executable, "-m", "kongflow.cli", "org", "concurrency", str(limit)],
        env=_env(database_url), capture_output=True, check=True,
    )  # fmt: skip


@contextlib.contextmanager
def kongflow_process(
    database_url: str, *args: str, **extra_env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``kongflow <args>`` until the block ends (SIGTERM, then SIGKILL)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kongflow.cli", *args],
        env=_env(database_url, **extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _listeners(port: int) -> int:
    """How many sockets listen on ``port`` (each API process binds its own, with
    ``SO_REUSEPORT``); read from /proc/net/tcp, so Linux only."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as lines:
            for line in lines.readlines()[1:]:
                fields = line.split()  # sl, local address, remote address, state, ...
                listening = fields[3] == "0A"
                count += listening and int(fields[1].rsplit(":", 1)[1], 16) == port
    return count


@contextlib.contextmanager
def kongflow_server(
    database_url: str, *, api_processes: int = 1, **extra_env: str
) -> Iterator[Server]:
    """`kongflow serve` on a free loopback port, ready to answer in every one of its
    ``api_processes`` (clients that connected before the extra processes listen
    would all stay on the first one, and the measure would be of one process)."""
    key = dev_key(database_url)
    port = _free_port()
    args = ("serve", "--port", str(port), "--api-processes", str(api_processes))
    with kongflow_process(database_url, *args, **extra_env) as process:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                healthy = httpx.get(f"{url}/healthz").status_code == 200
                if healthy and _listeners(port) >= api_processes:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("kongflow serve did not start")
            time.sleep(0.1)
        yield Server(url=url, dev_key=key)
