"""Run the `kongflow` command as a user does, on the test database."""

import os
import subprocess
import sys


def kongflow(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``kongflow *args`` in a fresh process against ``database_url`` (none of the
    caller's KONGFLOW_ settings leak in); its output is captured as text."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONGFLOW_")}
    env.update(KONGFLOW_DATABASE_URL=database_url, KONGFLOW_SECRET_KEY="kongflow-tests")
    return subprocess.run(
        [sys.executable, "-m", "kongflow.cli", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
