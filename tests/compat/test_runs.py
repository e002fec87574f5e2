"""Runs of the official Node SDK's jobs, end to end: events in, EXECUTE_JOB out, the
SDK calling back for its tasks, waits and retries, until the run finishes."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import procrastinate
import pytest
from sqlalchemy import func, select

from kongflow.db.orm import EventDispatcher, Job, Run, ScheduleSource, Task, TaskAttempt
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.domain.protocol.base import iso
from kongflow.domain.states import FINISHED_RUN_STATUSES
from kongflow.services.schedules.schedule_ticks import queue_next_tick
from tests.compat.node_endpoint import NodeEndpoint, run_node_endpoint
from tests.support.runs_wait import wait_for_finished_runs
from tests.support.tenancy import EnvironmentKeys

pytestmark = pytest.mark.compat


@pytest.fixture
async def node(
    node_project: Path,
    db: Database,
    api_url: str,
    http: httpx.AsyncClient,
    environments: dict[str, EnvironmentKeys],
    running_worker: procrastinate.App,
) -> AsyncIterator[NodeEndpoint]:
    """The Node endpoint, registered and indexed in the dev environment."""
    key = environments["dev"].api_key
    auth = {"Authorization": f"Bearer {key}"}
    with run_node_endpoint(api_url, key, endpoint_id="compat-app") as endpoint:
        created = await http.post(
            "/api/v1/endpoints", json={"id": "compat-app", "url": endpoint.url}, headers=auth
        )
        assert created.status_code == 200, created.text
        index_id = created.json()["endpointIndex"]["id"]
        deadline = time.monotonic() + 20
        while (await http.get(f"/api/v1/endpointindex/{index_id}", headers=auth)).json()[
            "status"
        ] != "SUCCESS":
            assert time.monotonic() < deadline, "index did not finish"
            await asyncio.sleep(0.05)
        yield endpoint


@pytest.fixture
def dev(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return {"Authorization": f"Bearer {environments['dev'].api_key}"}


async def _send(http: httpx.AsyncClient, dev: dict[str, str], name: str, payload: Any) -> None:
    response = await http.post(
        "/api/v1/events", json={"event": {"name": name, "payload": payload}}, headers=dev
    )
    assert response.status_code == 200, response.text


async def _job_of(db: Database, run: Run) -> str:
    async with db.transaction() as session:
        slug = await session.scalar(select(Job.slug).where(Job.id == run.job_id))
    return str(slug)


async def test_event_filter_triggers_only_matching_events(
    node: NodeEndpoint, http: httpx.AsyncClient, dev: dict[str, str], db: Database
) -> None:
    await _send(http, dev, "order.created", {"status": "paid", "amount": 50})
    await _send(http, dev, "order.created", {"status": "refunded", "amount": 500})
    await _send(http, dev, "order.created", {"status": "paid", "amount": 250})
    [run] = await wait_for_finished_runs(db, 1)
    assert await _job_of(db, run) == "event-filter"
    assert run.status is RunStatus.SUCCESS, run.output
    assert run.output == {"ok": True, "amount": 250}


async def test_tasks_wait_and_retries_run_to_success_with_cached_tasks(
    node: NodeEndpoint, http: httpx.AsyncClient, dev: dict[str, str], db: Database
) -> None:
    started = time.monotonic()
    await _send(http, dev, "tasks.run", {})
    [run] = await wait_for_finished_runs(db, 1, within=45)
    assert run.status is RunStatus.SUCCESS, (run.output, node.output())
    assert time.monotonic() - started >= 2  # the io.wait really waited
    assert run.output == {
        "one": {"step": 1},
        "two": {"step": 2, "previous": 1},
        "three": {"step": 3, "previous": 2},
        "flaky": {"step": "flaky", "attempt": 3},
    }
    async with db.transaction() as session:
        tasks = {
            task.display_key: task
            for task in await session.scalars(select(Task).where(Task.run_id == run.id))
        }
        flaky_attempts = await session.scalar(
            select(func.count())
            .select_from(TaskAttempt)
            .where(TaskAttempt.task_id == tasks["flaky"].id)
        )
    # Each step ran once although the job function ran several times (cached tasks).
    assert {"one", "two", "pause", "three", "flaky"} <= set(tasks)
    assert all(task.status is TaskStatus.COMPLETED for task in tasks.values())
    assert run.execution_count >= 4  # first, after the wait, after each retry
    assert flaky_attempts == 3


async def test_a_cancelled_waiting_run_stays_cancelled(
    node: NodeEndpoint, http: httpx.AsyncClient, dev: dict[str, str], db: Database
) -> None:
    await _send(http, dev, "tasks.run", {})
    deadline = time.monotonic() + 20
    while True:
        async with db.transaction() as session:
            run = await session.scalar(select(Run))
        if run is not None and run.status is RunStatus.WAITING_TO_CONTINUE:
            break
        assert time.monotonic() < deadline, "run never waited"
        await asyncio.sleep(0.05)
    cancelled = await http.post("/api/manage/jobs/three-tasks/cancel-runs", headers=dev)
    assert cancelled.json()["cancelledRunIds"] == [run.id]
    await asyncio.sleep(3)  # past the 2 s wait: the resume must not revive the run
    async with db.transaction() as session:
        after = await session.get_one(Run, run.id)
        keys = set(await session.scalars(select(Task.display_key).where(Task.run_id == run.id)))
    assert after.status is RunStatus.CANCELED
    assert "three" not in keys


async def test_wait_for_event_resumes_with_the_matching_event(
    node: NodeEndpoint, http: httpx.AsyncClient, dev: dict[str, str], db: Database
) -> None:
    await _send(http, dev, "approval.requested", {"orderId": "o-1"})
    deadline = time.monotonic() + 20
    while True:  # the SDK has asked for its dispatcher
        async with db.transaction() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(EventDispatcher)
                .where(EventDispatcher.dispatchable["type"].as_string() == "EPHEMERAL")
            )
        if waiting:
            break
        assert time.monotonic() < deadline, f"no dispatcher: {node.output()}"
        await asyncio.sleep(0.05)
    await _send(http, dev, "approval.granted", {"orderId": "o-2", "by": "someone else"})
    await _send(http, dev, "approval.granted", {"orderId": "o-1", "by": "ops"})
    [run] = await wait_for_finished_runs(db, 1)
    assert run.status is RunStatus.SUCCESS, (run.output, node.output())
    assert run.output["by"] == "ops" and run.output["name"] == "approval.granted"


async def test_an_interval_schedule_runs_the_job(node: NodeEndpoint, db: Database) -> None:
    due = datetime.now(UTC) - timedelta(seconds=1)
    async with db.transaction() as session:
        source = (
            await session.scalars(
                select(ScheduleSource)
                .join(Job, Job.id == ScheduleSource.key)
                .where(Job.slug == "interval-job")
            )
        ).one()
        source.next_event_timestamp = due
        await queue_next_tick(session, source)
    deadline = time.monotonic() + 20
    while True:
        async with db.transaction() as session:
            run = await session.scalar(select(Run).where(Run.job_id == source.key))
        if run is not None and run.status in FINISHED_RUN_STATUSES:
            break
        assert time.monotonic() < deadline, "the scheduled run did not finish"
        await asyncio.sleep(0.05)
    assert run.status is RunStatus.SUCCESS, run.output
    assert run.output == {"ts": iso(due), "lastTimestamp": None}


async def test_a_dynamic_schedule_registered_by_a_run_fires_its_job(
    node: NodeEndpoint, http: httpx.AsyncClient, dev: dict[str, str], db: Database
) -> None:
    await _send(http, dev, "digest.subscribe", {"userId": "user-1"})
    [subscribe] = await wait_for_finished_runs(db, 1)
    assert subscribe.status is RunStatus.SUCCESS, (subscribe.output, node.output())
    assert subscribe.output == {
        "id": "user-1",
        "schedule": {
            "type": "interval",
            "options": {"seconds": 3600},
            "metadata": {"plan": "pro"},
        },
        "metadata": {"plan": "pro"},
        "active": True,
    }
    due = datetime.now(UTC) - timedelta(seconds=1)
    async with db.transaction() as session:
        source = (
            await session.scalars(select(ScheduleSource).where(ScheduleSource.key == "user-1"))
        ).one()
        source.next_event_timestamp = due
        await queue_next_tick(session, source)
    runs = await wait_for_finished_runs(db, 2)
    [digest] = [run for run in runs if run.id != subscribe.id]
    assert digest.status is RunStatus.SUCCESS, (digest.output, node.output())
    assert await _job_of(db, digest) == "digest-job"
    assert digest.output == {
        "ts": iso(due),
        "source": {"id": "user-1", "metadata": {"plan": "pro"}},
    }
