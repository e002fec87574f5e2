"""A worker killed in the middle of an execution does not lose the run.

`kongflow worker` runs in its own process and is killed (SIGKILL) while the Node
SDK is inside a slow task. Its job is recovered once its heartbeat is stale, the
run is executed again by another worker, the completed slow task is replayed from
the cache instead of running again, and the run ends in SUCCESS.
"""

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import procrastinate
import pytest
from sqlalchemy import select

from kongflow.db.orm import Run, Task
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.worker.recovery import HEARTBEATS_BEFORE_STALLED, recover_stalled_jobs
from tests.compat.node_endpoint import run_node_endpoint
from tests.support.tenancy import EnvironmentKeys

pytestmark = pytest.mark.compat

HEARTBEAT = 0.5


async def _task(db: Database, key: str) -> Task | None:
    async with db.transaction() as session:
        return await session.scalar(select(Task).where(Task.display_key == key))


async def _until(check: Callable[[], Awaitable[bool]], what: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_killed_worker_mid_execution_still_ends_in_success(
    node_project: Path,
    db: Database,
    database_url: str,
    api_url: str,
    http: httpx.AsyncClient,
    environments: dict[str, EnvironmentKeys],
    worker_app: procrastinate.App,
    drain_queue: Callable[[], Awaitable[None]],
) -> None:
    key = environments["dev"].api_key
    auth = {"Authorization": f"Bearer {key}"}
    with run_node_endpoint(api_url, key, endpoint_id="compat-app") as node:
        created = await http.post(
            "/api/v1/endpoints", json={"id": "compat-app", "url": node.url}, headers=auth
        )
        assert created.status_code == 200, created.text
        await drain_queue()  # the index

        env = {k: v for k, v in os.environ.items() if not k.startswith("KONGFLOW_")}
        env.update(
            KONGFLOW_DATABASE_URL=database_url,
            KONGFLOW_SECRET_KEY="kongflow-tests",
            KONGFLOW_WORKER_HEARTBEAT_SECONDS=str(HEARTBEAT),
        )
        doomed = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "kongflow.cli", "worker", "--concurrency", "2"),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            sent = await http.post(
                "/api/v1/events",
                json={"event": {"name": "slow.run", "payload": {"ms": 2500}}},
                headers=auth,
            )
            assert sent.status_code == 200

            async def slow_started() -> bool:
                return await _task(db, "slow") is not None

            await _until(slow_started, "the slow task to start in the doomed worker")
        finally:
            doomed.send_signal(signal.SIGKILL)
            await asyncio.wait_for(doomed.wait(), 10)

        async with db.transaction() as session:
            run = await session.scalar(select(Run))
        assert run is not None and run.status is RunStatus.EXECUTING

        async def slow_completed() -> bool:
            task = await _task(db, "slow")
            return task is not None and task.status is TaskStatus.COMPLETED

        # The SDK finishes the slow task even though nobody will read its answer.
        await _until(slow_completed, "the slow task to complete")
        await asyncio.sleep(HEARTBEAT * HEARTBEATS_BEFORE_STALLED + 0.5)
        assert await recover_stalled_jobs(worker_app, heartbeat_seconds=HEARTBEAT) == 1
        await drain_queue()

    async with db.transaction() as session:
        finished = await session.get_one(Run, run.id)
    assert finished.status is RunStatus.SUCCESS, finished.output
    assert finished.output == {
        "slow": {"slept": 2500},
        "quick": {"after": 2500, "slowBodyRuns": 1},
    }
    assert finished.execution_count == 1  # the first execution's answer never arrived
