"""Benchmark run throughput: single-task runs completed per second.

Sends a burst of events (in bulk requests) to a job with one task and measures how
long until every run is SUCCESS: once with `kongflow serve` alone and once with an
extra `kongflow worker` process. For scale, the same script measures procrastinate
running no-op jobs on this database, and Celery running no-op tasks on the local
Redis when one answers (both side by side, in this one run). Issue target: at least
150 runs/s. Also prints what one run costs: queue jobs, database transactions and
HTTP calls.

With the extra worker, the organization's concurrency limit is raised to cover both
processes' job slots (`kongflow org concurrency 20`): at the default of 10, which
`serve`'s own 10 slots already fill, an extra worker could only add runs waiting for
a place.

    .venv/bin/python -m bench.run_throughput [--runs 2000]
"""

import argparse
import asyncio
import time
from typing import Any

import httpx
import procrastinate
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench.pipeline import pipeline
from bench.server import set_concurrency_limit
from bench.support import bench_database
from kongflow.db.urls import libpq_conninfo, psycopg_url

BULK = 20
# Finished jobs are deleted, so count the ids handed out instead of the rows left.
JOBS_CREATED = "SELECT last_value FROM procrastinate_jobs_id_seq"
SENDERS = 8
WORKER_SLOTS = 10  # each process's default worker concurrency


def _stat(database_url: str, sql: str) -> int:
    engine = create_engine(psycopg_url(database_url), poolclass=NullPool)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value or 0)


def _wait_for_successes(database_url: str, runs: int) -> None:
    """Poll (on one connection, so that polling costs the server no new backends)
    until ``runs`` runs have succeeded."""
    engine = create_engine(psycopg_url(database_url), poolclass=NullPool)
    with engine.connect() as conn:
        count = text("SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
        while conn.execute(count).scalar_one() < runs:
            conn.rollback()  # a fresh snapshot for the next count
            time.sleep(0.05)
    engine.dispose()


def _sessions(database_url: str) -> int:
    return _stat(
        database_url, "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    )


def _transactions(database_url: str) -> int:
    return _stat(
        database_url,
        "SELECT xact_commit + xact_rollback FROM pg_stat_database "
        "WHERE datname = current_database()",
    )


async def _send(url: str, auth: dict[str, str], runs: int) -> None:
    """Send ``runs`` events in bulk requests from several clients at once."""
    batches = [range(offset, min(runs, offset + BULK)) for offset in range(0, runs, BULK)]

    async def sender(client: httpx.AsyncClient) -> None:
        while batches:
            numbers = batches.pop()
            events = [{"name": "bench.run", "payload": {"n": n}} for n in numbers]
            response = await client.post("/api/v1/events/bulk", json={"events": events})
            assert response.status_code == 200, response.text

    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=60) as client:
        await asyncio.gather(*(sender(client) for _ in range(SENDERS)))


def measure_runs(
    database_url: str, runs: int, extra_workers: int, api_processes: int = 1
) -> dict[str, Any]:
    with pipeline(database_url, extra_workers=extra_workers, api_processes=api_processes) as line:
        if extra_workers:
            set_concurrency_limit(database_url, WORKER_SLOTS * (1 + extra_workers))
        before_jobs = _stat(database_url, JOBS_CREATED)
        before_tx = _transactions(database_url)
        before_sessions = _sessions(database_url)
        started = time.perf_counter()
        asyncio.run(_send(line.server.url, line.auth, runs))
        sent = time.perf_counter() - started
        _wait_for_successes(database_url, runs)
        elapsed = time.perf_counter() - started
        jobs = _stat(database_url, JOBS_CREATED) - before_jobs
        transactions = _transactions(database_url) - before_tx
        sessions = _sessions(database_url) - before_sessions
        executions = len(line.arrivals.read_text().splitlines())
    return {
        "runs_per_second": runs / elapsed,
        "seconds": elapsed,
        "send_seconds": sent,
        "jobs_per_run": jobs / runs,
        "transactions_per_run": transactions / runs,
        "executions_per_run": executions / runs,
        "connections_opened": sessions,
    }


def procrastinate_noop_rate(database_url: str, jobs: int) -> float:
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=libpq_conninfo(database_url))
    )

    @app.task(name="bench_noop")
    async def noop() -> None:
        return None

    async def run() -> float:
        async with app.open_async():
            await noop.batch_defer_async(*({} for _ in range(jobs)))
            started = time.perf_counter()
            await app.run_worker_async(
                concurrency=10, wait=False, install_signal_handlers=False, listen_notify=False
            )
            return jobs / (time.perf_counter() - started)

    return asyncio.run(run())


def celery_noop_rate(tasks: int) -> float | None:
    try:
        import redis
        from celery import Celery
    except ImportError:
        return None
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.RedisError:
        return None
    import subprocess
    import sys

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "--concurrency=2",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        app = Celery(
            "bench", broker="redis://127.0.0.1:6379/15", backend="redis://127.0.0.1:6379/15"
        )
        warm = app.send_task("bench.noop")
        warm.get(timeout=60)
        started = time.perf_counter()
        results = [app.send_task("bench.noop") for _ in range(tasks)]
        for result in results:
            result.get(timeout=120)
        return tasks / (time.perf_counter() - started)
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    results = {}
    for extra in (0, 1):
        with bench_database() as database_url:
            results[extra] = measure_runs(database_url, args.runs, extra)
    with bench_database() as database_url:
        raw = procrastinate_noop_rate(database_url, 5000)
    celery = celery_noop_rate(2000)
    for extra, result in results.items():
        label = "serve" if extra == 0 else "serve + 1 worker (organization limit 20)"
        print(
            f"{label:<41} {result['runs_per_second']:6.0f} single-task runs/s "
            f"({args.runs} runs in {result['seconds']:.1f} s)"
        )
    one = results[0]
    print(
        f"per run: {one['jobs_per_run']:.2f} queue jobs, {one['transactions_per_run']:.1f} "
        f"database transactions, {one['executions_per_run']:.2f} EXECUTE_JOB calls "
        "(+ the event POST, runTask and completeTask from the SDK: 4 HTTP calls in all); "
        f"{one['connections_opened']} database connections opened while measuring"
    )
    print(f"procrastinate no-op jobs: {raw:6.0f} jobs/s (one worker, concurrency 10)")
    print(
        f"celery no-op tasks:       {celery:6.0f} tasks/s (2 processes, local Redis)"
        if celery
        else "celery: not installed or no Redis at 127.0.0.1:6379 (skipped)"
    )


if __name__ == "__main__":
    main()
