"""Run the official trigger.dev v2 Node SDK as a user endpoint on loopback.

``tests/compat/node`` is a tiny Express app (``server.mjs``) that serves a
``TriggerClient`` from the unmodified ``@trigger.dev/sdk`` 2.3.19 through
``@trigger.dev/express``. This module installs its pinned dependencies once
(:func:`ensure_installed`) and starts it for a test (:func:`run_node_endpoint`), so a
test can register the endpoint with kongflow and let kongflow drive the real SDK.

The Node process never outlives the test: the context manager stops it, and the
server also exits by itself as soon as its stdin (a pipe held by this process)
closes, which covers a Python process that dies without cleaning up.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NODE_PROJECT = Path(__file__).resolve().parent / "node"
SERVER_SCRIPT = "server.mjs"
MIN_NODE_MAJOR = 18  # the SDK relies on the global fetch / Request / Headers

INSTALL_STAMP = ".kongflow-installed"  # inside node_modules: hash of the lock it came from
INSTALL_LOCK = ".install.lock"
INSTALL_TIMEOUT_SECONDS = 600.0

READY_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 5.0
_READY_LINE = re.compile(rb"^READY (\d+)$", re.MULTILINE)


@functools.cache
def node_available() -> str | None:
    """Why the Node harness cannot run here, or ``None`` when ``node`` and ``npm`` work."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed (needed to run the trigger.dev SDK endpoint)"
    if shutil.which("npm") is None:
        return "npm is not installed (needed to install the trigger.dev SDK)"
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"node does not run: {exc}"
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MIN_NODE_MAJOR:
        return f"node {version or '(unknown version)'} is too old; need >= {MIN_NODE_MAJOR}"
    return None


def _lock_digest(project: Path) -> str:
    return hashlib.sha256((project / "package-lock.json").read_bytes()).hexdigest()


def _is_installed(project: Path, digest: str) -> bool:
    stamp = project / "node_modules" / INSTALL_STAMP
    try:
        return stamp.read_text().strip() == digest
    except OSError:
        return False


def ensure_installed(project: Path = NODE_PROJECT) -> Path:
    """Install the pinned SDK with ``npm ci`` unless ``node_modules`` matches the lock file.

    ``node_modules`` counts as current when it carries a stamp holding the hash of
    ``package-lock.json`` it was installed from; the stamp is written only after
    ``npm ci`` succeeds, so an interrupted install is redone. A file lock keeps
    parallel pytest workers from installing at the same time.
    """
    digest = _lock_digest(project)
    if _is_installed(project, digest):
        return project
    with (project / INSTALL_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _is_installed(project, digest):  # another worker just did it
                return project
            env = {**os.environ, "npm_config_update_notifier": "false"}
            try:
                result = subprocess.run(
                    ["npm", "ci", "--no-audit", "--no-fund"],
                    cwd=project,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_TIMEOUT_SECONDS,
                )
            except subprocess.TimeoutExpired as exc:
                raise RuntimeError(
                    f"npm ci in {project} took longer than {INSTALL_TIMEOUT_SECONDS:.0f} s"
                ) from exc
            if result.returncode != 0:
                raise RuntimeError(
                    f"npm ci in {project} failed with exit code {result.returncode}:\n"
                    f"{result.stdout}\n{result.stderr}"
                )
            (project / "node_modules" / INSTALL_STAMP).write_text(digest + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return project


@dataclass(frozen=True)
class NodeEndpoint:
    """A running SDK endpoint: register ``url`` with kongflow under ``endpoint_id``."""

    url: str
    endpoint_id: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def port(self) -> int:
        return int(self.url.split(":")[2].split("/")[0])

    def output(self) -> str:
        """Everything the Node process printed so far (stdout and stderr, interleaved)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server: close its stdin, SIGTERM, then SIGKILL its process group."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
        return
    except subprocess.TimeoutExpired:
        pass
    # Still alive (so its pid still names its group): the server leads its own
    # session, kill the whole group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path) -> int:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        match = _READY_LINE.search(log_path.read_bytes())
        if match is not None:
            return int(match.group(1))
        exit_code = process.poll()
        if exit_code is not None:
            raise RuntimeError(
                f"the Node endpoint exited with code {exit_code} before it was ready:\n"
                + log_path.read_text(errors="replace")
            )
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the Node endpoint was not ready after {READY_TIMEOUT_SECONDS:.0f} s:\n"
                + log_path.read_text(errors="replace")
            )
        time.sleep(0.05)


@contextlib.contextmanager
def run_node_endpoint(
    api_url: str,
    api_key: str,
    endpoint_id: str = "compat-app",
    *,
    port: int = 0,
    project: Path | None = None,
) -> Iterator[NodeEndpoint]:
    """Start ``node server.mjs`` on 127.0.0.1 and yield it once it listens.

    ``api_url`` and ``api_key`` configure the SDK's ``TriggerClient`` (the server it
    calls back and the key it expects in ``x-trigger-api-key``). ``port=0`` lets the
    OS pick a free port inside the Node process, so parallel workers cannot race for
    one; the chosen port is read from the server's ``READY <port>`` line.
    """
    folder = ensure_installed() if project is None else project
    env = {
        **os.environ,
        "PORT": str(port),
        "TRIGGER_API_URL": api_url,
        "TRIGGER_API_KEY": api_key,
        "TRIGGER_ENDPOINT_ID": endpoint_id,
        "COMPAT_EXIT_ON_STDIN_CLOSE": "1",
        "NODE_ENV": "test",
    }
    fd, log_name = tempfile.mkstemp(prefix="kongflow-node-endpoint-", suffix=".log")
    log_path = Path(log_name)
    try:
        with os.fdopen(fd, "wb") as log:
            process = subprocess.Popen(
                ["node", SERVER_SCRIPT],
                cwd=folder,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            actual_port = _wait_until_ready(process, log_path)
            yield NodeEndpoint(
                url=f"http://127.0.0.1:{actual_port}/api/trigger",
                endpoint_id=endpoint_id,
                process=process,
                log_path=log_path,
            )
        finally:
            _stop(process)
    finally:
        log_path.unlink(missing_ok=True)
