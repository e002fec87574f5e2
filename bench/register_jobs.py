"""Benchmark RegisterJob: 1,000 jobs across 20 endpoints, 16 concurrent clients.

Each registration is one transaction (as indexing does it). Prints jobs/s and the
p50/p99 latency of one registration. Issue target: p99 under 100 ms on 2 cores.

    .venv/bin/python bench/register_jobs.py [--jobs 1000] [--endpoints 20] [--clients 16]
"""

import argparse
import asyncio
import time
from typing import Any

from sqlalchemy import func, select

from bench.support import bench_database, percentile
from kongflow.crypto import InstanceKey
from kongflow.db.orm import Endpoint, Environment, Job, JobVersion
from kongflow.db.session import Database
from kongflow.domain.protocol.index import JobMetadata, parse_job
from kongflow.instance import ensure_bootstrapped
from kongflow.services.jobs.register_job import register_job

WARMUP_JOBS = 48


def _job(n: int) -> dict[str, Any]:
    kind = n % 4
    trigger: dict[str, Any]
    if kind == 0:
        trigger = {
            "type": "scheduled",
            "schedule": {"type": "cron", "options": {"cron": "0 * * * *"}},
        }
    elif kind == 1:
        trigger = {"type": "invoke"}
    else:
        trigger = {
            "type": "static",
            "title": f"event.{n}",
            "rule": {
                "event": f"event.{n}",
                "source": "trigger.dev",
                "payload": {"n": [{"$gt": n}]},
            },
        }
    return {
        "id": f"job-{n:04d}",
        "name": f"Job {n}",
        "version": "1.0.0",
        "event": {
            "name": f"event.{n}",
            "title": "Event",
            "source": "trigger.dev",
            "examples": [{"id": "one", "name": "One", "payload": {"n": n}}],
        },
        "trigger": trigger,
        "integrations": {
            "slack": {
                "id": "slack",
                "metadata": {"id": "slack", "name": "Slack"},
                "authSource": "LOCAL",
            }
        },
        "enabled": True,
        "preprocessRuns": False,
        "concurrencyLimit": {"id": f"group-{n % 5}", "limit": 3} if n % 3 == 0 else None,
    }


async def _run(url: str, jobs: int, endpoint_count: int, clients: int) -> None:
    database = Database.connect(url, pool_size=clients)
    await ensure_bootstrapped(database, InstanceKey.from_secret("bench"))
    async with database.transaction() as session:
        environment = (
            await session.scalars(select(Environment).where(Environment.slug == "prod"))
        ).one()
        endpoints = [
            Endpoint(
                slug=f"app-{i}",
                url=f"http://127.0.0.1:9/app-{i}",
                environment_id=environment.id,
                organization_id=environment.organization_id,
                project_id=environment.project_id,
            )
            for i in range(endpoint_count)
        ]
        session.add_all(endpoints)
    latencies: list[float] = []

    async def client(work: asyncio.Queue[tuple[Endpoint, JobMetadata]], record: bool) -> None:
        while not work.empty():
            endpoint, metadata = work.get_nowait()
            started = time.perf_counter()
            async with database.transaction() as session:
                await register_job(session, endpoint, metadata)
            if record:
                latencies.append((time.perf_counter() - started) * 1000)

    async def round_of(numbers: range, record: bool) -> float:
        work: asyncio.Queue[tuple[Endpoint, JobMetadata]] = asyncio.Queue()
        for n in numbers:
            raw = {k: v for k, v in _job(n).items() if v is not None}
            work.put_nowait((endpoints[n % endpoint_count], parse_job(raw)))
        started = time.perf_counter()
        await asyncio.gather(*(client(work, record) for _ in range(clients)))
        return time.perf_counter() - started

    # Warm-up: opens the pool's connections and fills the statement caches, which
    # the first registrations of a fresh process pay for (reported separately).
    cold = await round_of(range(jobs, jobs + WARMUP_JOBS), record=False)
    elapsed = await round_of(range(jobs), record=True)

    async with database.transaction() as session:
        job_rows = await session.scalar(select(func.count()).select_from(Job))
        version_rows = await session.scalar(select(func.count()).select_from(JobVersion))
    await database.dispose()
    total = jobs + WARMUP_JOBS
    assert job_rows == total and version_rows == total, (job_rows, version_rows)
    print(f"warm-up: {WARMUP_JOBS} jobs in {cold * 1000:.0f} ms (cold pool and caches)")
    print(f"registered {jobs} jobs over {endpoint_count} endpoints with {clients} clients")
    print(f"  throughput: {jobs / elapsed:.0f} jobs/s ({elapsed:.2f} s)")
    print(f"  per registration: p50 {percentile(latencies, 0.5):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with bench_database() as url:
        asyncio.run(_run(url, args.jobs, args.endpoints, args.clients))


if __name__ == "__main__":
    main()
