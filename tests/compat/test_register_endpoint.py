"""The official v2 Node SDK registers its jobs with kongflow, as `trigger.dev dev` does.

kongflow serves its API on loopback; the unmodified Express endpoint runs beside it
with a kongflow dev key. The test plays the CLI: whoami, POST /api/v1/endpoints, run
the queued index, poll the index, then checks what kongflow stored against the job
definitions in node/server.mjs.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    Endpoint,
    EventDispatcher,
    EventExample,
    Job,
    JobAlias,
    JobVersion,
    ScheduleSource,
)
from kongflow.db.session import Database
from kongflow.domain.enums import JobVersionStatus
from tests.compat.node_endpoint import run_node_endpoint
from tests.support.tenancy import EnvironmentKeys

pytestmark = pytest.mark.compat


async def _rows(db: Database, statement: Any) -> list[Any]:
    async with db.transaction() as session:
        return list((await session.scalars(statement)).all())


async def test_node_sdk_endpoint_registers_every_job(
    node_project: Path,
    db: Database,
    api_url: str,
    http: httpx.AsyncClient,
    environments: dict[str, EnvironmentKeys],
    drain_queue: Callable[[], Awaitable[None]],
) -> None:
    key = environments["dev"].api_key
    auth = {"Authorization": f"Bearer {key}"}
    with run_node_endpoint(api_url, key, endpoint_id="compat-app") as node:
        whoami = await http.get("/api/v1/whoami", headers=auth)
        assert whoami.status_code == 200 and whoami.json()["slug"] == "dev"

        created = await http.post(
            "/api/v1/endpoints", json={"id": "compat-app", "url": node.url}, headers=auth
        )
        assert created.status_code == 200, created.text
        endpoint = created.json()
        assert endpoint["slug"] == "compat-app" and endpoint["url"] == node.url
        index_id = endpoint["endpointIndex"]["id"]

        pending = await http.get(f"/api/v1/endpointindex/{index_id}", headers=auth)
        assert pending.json()["status"] == "PENDING"
        await drain_queue()

    index = (await http.get(f"/api/v1/endpointindex/{index_id}", headers=auth)).json()
    assert index["status"] == "SUCCESS", index
    assert index["stats"]["jobs"] == 10
    assert index["stats"]["disabledJobs"] == 1
    assert index["stats"]["failedJobs"] == 0
    assert "jobErrors" not in index

    [row] = await _rows(db, select(Endpoint))
    assert (row.version, row.sdk_version) == ("2023-09-29", "2.3.19")

    jobs = {job.slug: job for job in await _rows(db, select(Job))}
    assert set(jobs) == {
        "event-filter",
        "three-tasks",
        "cron-job",
        "interval-job",
        "invoke-job",
        "send-event-job",
        "slow-job",
        "wait-for-event-job",
        "digest-job",
        "subscribe-digest-job",
    }
    versions = {v.job_id: v for v in await _rows(db, select(JobVersion))}
    assert all(
        v.status is JobVersionStatus.ACTIVE and v.version == "1.0.0" for v in versions.values()
    )
    aliases = {a.job_id: a.value for a in await _rows(db, select(JobAlias))}
    assert set(aliases) == {job.id for job in jobs.values()}

    dispatchers = {d.dispatchable_id: d for d in await _rows(db, select(EventDispatcher))}
    event_filter = dispatchers[jobs["event-filter"].id]
    assert event_filter.event == ["order.created"] and not event_filter.manual
    assert event_filter.payload_filter == {"status": ["paid"], "amount": [{"$gt": 100}]}
    assert dispatchers[jobs["three-tasks"].id].event == ["tasks.run"]
    assert dispatchers[jobs["cron-job"].id].manual
    assert jobs["invoke-job"].id not in dispatchers

    [example] = await _rows(
        db,
        select(EventExample).where(
            EventExample.job_version_id == versions[jobs["event-filter"].id].id
        ),
    )
    assert (example.slug, example.payload) == ("paid", {"status": "paid", "amount": 250})

    schedules = {s.key: s for s in await _rows(db, select(ScheduleSource))}
    assert schedules[jobs["cron-job"].id].schedule == {
        "type": "cron",
        "options": {"cron": "0 4 1 1 *"},
    }
    assert schedules[jobs["interval-job"].id].schedule["options"] == {"seconds": 300}
    assert all(s.active and s.next_event_timestamp for s in schedules.values())

    [group] = await _rows(db, select(ConcurrencyLimitGroup))
    assert (group.name, group.concurrency_limit) == ("shared-limit", 2)
    assert versions[jobs["cron-job"].id].concurrency_limit_group_id == group.id


async def test_wrong_endpoint_id_or_key_fails_the_ping_with_the_sdks_reason(
    node_project: Path,
    db: Database,
    api_url: str,
    http: httpx.AsyncClient,
    environments: dict[str, EnvironmentKeys],
) -> None:
    dev = {"Authorization": f"Bearer {environments['dev'].api_key}"}
    prod = {"Authorization": f"Bearer {environments['prod'].api_key}"}
    with run_node_endpoint(api_url, environments["dev"].api_key, endpoint_id="compat-app") as node:
        wrong_id = await http.post(
            "/api/v1/endpoints", json={"id": "other-app", "url": node.url}, headers=dev
        )
        assert wrong_id.status_code == 400
        assert wrong_id.json()["code"] == "failed_ping"
        assert "Endpoint ID mismatch" in wrong_id.json()["error"]

        wrong_key = await http.post(
            "/api/v1/endpoints", json={"id": "compat-app", "url": node.url}, headers=prod
        )
        assert wrong_key.status_code == 400
        assert "apiKey mismatch" in wrong_key.json()["error"]
    assert await _rows(db, select(Endpoint)) == []
