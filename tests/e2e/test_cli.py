"""The `kongflow` command on its embedded database, as a user runs it."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

KONGFLOW = [sys.executable, "-m", "kongflow.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONGFLOW_")}
    env["KONGFLOW_DATA_DIR"] = str(data_dir)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env_list(data_dir: Path) -> list[dict[str, str]]:
    done = subprocess.run(
        [*KONGFLOW, "env", "list", "--json"],
        env=_env(data_dir), capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    parsed: list[dict[str, str]] = json.loads(done.stdout)
    return parsed


def _postgres_running_in(data_dir: Path) -> bool:
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(data_dir.resolve()) in " ".join(
            proc.info["cmdline"] or []
        ):
            return True
    return False


def _api_processes() -> int:
    return sum(
        1
        for proc in psutil.process_iter(attrs=["cmdline"])
        if proc.info["cmdline"] and proc.info["cmdline"][-5:-4] == ["api"]
    )


def test_env_list_bootstraps_once_and_reuses_the_data(tmp_path: Path) -> None:
    first = _env_list(tmp_path)
    assert [e["slug"] for e in first] == ["dev", "staging", "prod"]
    assert {e["project"] for e in first} == {"default"}
    assert {e["organization"] for e in first} == {"default"}
    assert all(e["apiKey"].startswith("tr_") and e["pkApiKey"].startswith("pk_") for e in first)
    assert _env_list(tmp_path) == first
    assert not _postgres_running_in(tmp_path)


def test_serve_shares_its_database_and_stops_it_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [*KONGFLOW, "serve", "--port", str(port), "--api-processes", "2"],
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "serve did not become healthy"
            time.sleep(0.2)

        keys = _env_list(tmp_path)  # a second process on the same data directory
        whoami = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/whoami",
            headers={"Authorization": f"Bearer {keys[0]['apiKey']}"},
        )
        assert whoami.status_code == 200 and whoami.json()["slug"] == "dev"
        assert _postgres_running_in(tmp_path)  # env list did not stop serve's database

        assert _api_processes() == 1  # the second API process shares the port

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
    assert not _postgres_running_in(tmp_path)
    assert _api_processes() == 0
