"""Benchmark two scale figures: delivery cost vs dispatcher count, and GET run with 1M runs.

1. Event delivery with many dispatchers. One environment first holds 10 static
   job-version dispatchers, then 10,000 (each listens to its own event name
   ``scale.event.<n>`` with a small payload filter; jobs, versions and dispatchers
   are bulk-inserted with SQL, then ``ANALYZE``). At each size, events are ingested
   in-process with ``ingest_event`` (each in its own ``Database.transaction()``,
   commit included): ones matching exactly one dispatcher (one run is created and
   its first execution queued) alternating with ones no dispatcher listens to.
   Prints mean and p99 per event at both sizes, the 10,000/10 ratio, and the plan
   of the candidate-dispatcher query at 10,000 (custom and generic), as loaded: the
   GIN index keeps no pending list (migration 0008), so rows just inserted need no
   vacuum to be found fast. Target: 10,000 dispatchers cost under 2x what 10 cost.
2. ``GET /api/v1/runs/{id}`` with 1,000,000 runs in the table. The runs (pointing
   at a few jobs and 1,000 event records of the dev environment) are bulk-inserted
   with ``INSERT ... SELECT generate_series``, the runs to be read get three tasks
   each, then ``ANALYZE``; `kongflow serve` runs in its own process and one
   keep-alive httpx client reads random runs one at a time (200 warm-up requests,
   then 2,000 measured). Prints the load time and p50/p95/p99. Target: p99 under
   20 ms.

    KONGFLOW_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
      .venv/bin/python -m bench.scale [--events 300] [--runs 1000000] [--requests 2000] \\
      [--only delivery|runs]
"""

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.server import SECRET, dev_key, kongflow_server
from bench.support import bench_database, percentile
from kongflow.crypto import InstanceKey, hash_api_key
from kongflow.db.orm import Endpoint, Environment, Run
from kongflow.db.session import Database
from kongflow.domain.protocol.events import RawEvent, SendEventOptions
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.instance import ensure_bootstrapped
from kongflow.services.environments.find_environment import find_environment
from kongflow.services.events.deliver_event import _CANDIDATES
from kongflow.services.events.ingest_event import ingest_event

SMALL, LARGE = 10, 10_000
DELIVERY_WARMUP = 30  # events of each kind, per size, not recorded
REQUEST_WARMUP = 200
EVENT_RECORDS = 1_000  # the runs share these
JOBS = 10
TASKS_PER_READ_RUN = 3
NOBODY = "scale.nobody.listens"


def _id(prefix: str, number: str) -> str:
    """SQL for a ``<prefix>_<26 characters>`` id built from the integer ``number``."""
    return f"'{prefix}_' || lpad(({number})::text, 26, '0')"


# ------------------------------------------------------------- 1. delivery vs dispatchers

# Dispatcher n: job n, its version n (on the bench endpoint), listening to
# ``scale.event.<n>`` with payload filter {"kind": ["go"]}.
_JOBS_SQL = f"""
INSERT INTO jobs (id, slug, title, organization_id, project_id)
SELECT {_id("job", "n")}, 'scale-job-' || n, 'Scale job ' || n, :organization_id, :project_id
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n
"""
_VERSIONS_SQL = f"""
INSERT INTO job_versions (id, version, event_specification, job_id, endpoint_id,
                          environment_id, organization_id, project_id)
SELECT {_id("jver", "n")}, '1.0.0',
       jsonb_build_object('name', 'scale.event.' || n, 'title', 'Scale event',
                          'source', 'trigger.dev'),
       {_id("job", "n")}, :endpoint_id, :environment_id, :organization_id, :project_id
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n
"""
_DISPATCHERS_SQL = f"""
INSERT INTO event_dispatchers (id, event, source, payload_filter, dispatchable_id,
                               dispatchable, environment_id)
SELECT {_id("disp", "n")}, ARRAY['scale.event.' || n], 'trigger.dev',
       '{{"kind": ["go"]}}'::jsonb, {_id("job", "n")},
       jsonb_build_object('type', 'JOB_VERSION', 'id', {_id("jver", "n")}), :environment_id
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n
"""


@dataclass(frozen=True)
class DeliveryFigures:
    label: str
    matched: list[float]
    unmatched: list[float]


async def _add_dispatchers(
    database: Database, scope: EnvironmentScope, endpoint_id: str, first: int, last: int
) -> None:
    params = {
        "first": first,
        "last": last,
        "organization_id": scope.organization_id,
        "project_id": scope.project_id,
        "environment_id": scope.id,
        "endpoint_id": endpoint_id,
    }
    async with database.transaction() as session:
        for statement in (_JOBS_SQL, _VERSIONS_SQL, _DISPATCHERS_SQL):
            await session.execute(text(statement), params)
    async with database.transaction() as session:
        await session.execute(text("ANALYZE jobs, job_versions, event_dispatchers"))


async def _run_count(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Run)) or 0)


async def _deliver_round(
    database: Database, scope: EnvironmentScope, dispatchers: int, events: int, label: str
) -> DeliveryFigures:
    rng = random.Random(label)
    matched: list[float] = []
    unmatched: list[float] = []
    options = SendEventOptions()
    runs_before = await _run_count(database)
    for i in range(DELIVERY_WARMUP + events):
        # Alternate the two kinds so any drift (autovacuum, cache) hits both alike.
        for samples, name in (
            (matched, f"scale.event.{rng.randrange(dispatchers)}"),
            (unmatched, NOBODY),
        ):
            raw = RawEvent(name=name, payload={"kind": "go", "i": i})
            started = time.perf_counter()
            async with database.transaction() as session:
                await ingest_event(session, scope, raw, options)
            if i >= DELIVERY_WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
    created = await _run_count(database) - runs_before
    expected = DELIVERY_WARMUP + events
    assert created == expected, f"{created} runs created for {expected} matching events"
    return DeliveryFigures(label, matched, unmatched)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def _candidate_plans(
    conn: AsyncConnection, scope: EnvironmentScope, name: str, modes: tuple[str, ...]
) -> str:
    """EXPLAIN ANALYZE of deliver_event's candidate query, as a custom plan (the
    parameter values known) and as the generic plan a cached prepared statement
    may switch to."""
    # deliver_event's query takes $1 environment, $2 source, $3 event names.
    prepare = f"PREPARE scale_candidates(varchar, varchar, varchar[]) AS {_CANDIDATES}"
    values = (_literal(scope.id), _literal("trigger.dev"), f"ARRAY[{_literal(name)}]::varchar[]")
    execute = f"EXECUTE scale_candidates({', '.join(values)})"
    await conn.exec_driver_sql(prepare)
    sections = []
    for mode in modes:
        await conn.exec_driver_sql(f"SET plan_cache_mode = {mode}")
        rows = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {execute}")
        plan = "\n".join(f"      {row[0]}" for row in rows)
        sections.append(f"    {mode.removeprefix('force_').replace('_', ' ')}:\n{plan}")
    await conn.exec_driver_sql("RESET plan_cache_mode")
    await conn.exec_driver_sql("DEALLOCATE scale_candidates")
    return "\n".join(sections)


async def _delivery(url: str, events: int) -> tuple[list[DeliveryFigures], str]:
    database = Database.connect(url, pool_size=2)
    await ensure_bootstrapped(database, InstanceKey.from_secret(SECRET))
    async with database.transaction() as session:
        scope = await find_environment(session, "dev")
        endpoint = Endpoint(
            slug="scale",
            url="http://127.0.0.1:9/scale",
            environment_id=scope.id,
            organization_id=scope.organization_id,
            project_id=scope.project_id,
        )
        session.add(endpoint)
        await session.flush()
        endpoint_id = endpoint.id
    figures = []
    await _add_dispatchers(database, scope, endpoint_id, 0, SMALL - 1)
    figures.append(await _deliver_round(database, scope, SMALL, events, f"{SMALL:,} dispatchers"))
    await _add_dispatchers(database, scope, endpoint_id, SMALL, LARGE - 1)
    figures.append(await _deliver_round(database, scope, LARGE, events, f"{LARGE:,} dispatchers"))
    probe = f"scale.event.{LARGE // 2}"
    async with database.engine.connect() as conn:
        plans = await _candidate_plans(
            conn, scope, probe, ("force_custom_plan", "force_generic_plan")
        )
    await database.dispose()
    report = f"  as loaded (the index keeps no pending list, migration 0008):\n{plans}"
    return figures, report


def _report_delivery(figures: list[DeliveryFigures], plans: str, events: int) -> None:
    print(
        f"1. ingest_event + delivery, in-process, one transaction per event, "
        f"{events} events of each kind per size (after {DELIVERY_WARMUP} warm-up)"
    )
    kinds = ("matches 1 (1 run)", "matches none")
    means: dict[tuple[str, str], float] = {}
    for figure in figures:
        print(f"  {figure.label}:")
        for kind, samples in zip(kinds, (figure.matched, figure.unmatched), strict=True):
            mean = statistics.fmean(samples)
            means[kind, figure.label] = mean
            print(
                f"    event {kind:<17}: mean {mean:5.2f} ms, "
                f"p50 {percentile(samples, 0.5):5.2f} ms, p99 {percentile(samples, 0.99):5.2f} ms"
            )
    base = figures[0].label
    for figure in figures[1:]:
        for kind in kinds:
            ratio = means[kind, figure.label] / means[kind, base]
            verdict = "meets" if ratio < 2 else "MISSES"
            print(
                f"  mean ratio {figure.label} / {base}, event {kind}: {ratio:.2f}x "
                f"(target < 2x: {verdict})"
            )
    print(f"  candidate-dispatcher query at {LARGE:,} dispatchers (EXPLAIN ANALYZE, BUFFERS):")
    print(plans)


# ---------------------------------------------------------------- 2. GET run with 1M runs

_LOAD_STATEMENTS = (
    f"""
    INSERT INTO endpoints (id, slug, url, environment_id, organization_id, project_id)
    VALUES ({_id("endpoint", "1")}, 'scale', 'http://127.0.0.1:9/scale',
            :environment_id, :organization_id, :project_id)
    """,
    f"""
    INSERT INTO jobs (id, slug, title, organization_id, project_id)
    SELECT {_id("job", "j")}, 'scale-job-' || j, 'Scale job ' || j,
           :organization_id, :project_id
    FROM generate_series(1, {JOBS}) AS j
    """,
    f"""
    INSERT INTO job_versions (id, version, event_specification, job_id, endpoint_id,
                              environment_id, organization_id, project_id)
    SELECT {_id("jver", "j")}, '1.0.0',
           '{{"name": "scale.event", "title": "Scale", "source": "trigger.dev"}}'::jsonb,
           {_id("job", "j")}, {_id("endpoint", "1")}, :environment_id, :organization_id,
           :project_id
    FROM generate_series(1, {JOBS}) AS j
    """,
    f"""
    INSERT INTO event_records (id, event_id, name, payload, context, source, organization_id,
                               environment_id, project_id, delivered_at)
    SELECT {_id("evt", "e")}, 'scale-event-' || e, 'scale.event',
           jsonb_build_object('n', e), '{{}}'::jsonb, 'trigger.dev', :organization_id,
           :environment_id, :project_id, now()
    FROM generate_series(1, {EVENT_RECORDS}) AS e
    """,
    # Run n: job and version n % JOBS, event n % EVENT_RECORDS, a third of them
    # succeeded (with output), a third failed, a third queued.
    f"""
    INSERT INTO runs (id, number, job_id, version_id, event_id, organization_id, endpoint_id,
                      environment_id, project_id, status, queued_at, started_at, completed_at,
                      output, created_at, updated_at)
    SELECT {_id("run", "n")}, n / {JOBS} + 1, {_id("job", f"n % {JOBS} + 1")},
           {_id("jver", f"n % {JOBS} + 1")}, {_id("evt", f"n % {EVENT_RECORDS} + 1")},
           :organization_id, {_id("endpoint", "1")}, :environment_id, :project_id,
           ((ARRAY['SUCCESS', 'FAILURE', 'QUEUED'])[n % 3 + 1])::run_status,
           at, CASE WHEN n % 3 < 2 THEN at END, CASE WHEN n % 3 < 2 THEN at END,
           CASE WHEN n % 3 = 0 THEN jsonb_build_object('n', n) END, at, at
    FROM generate_series(1, CAST(:runs AS integer)) AS n,
         LATERAL (SELECT now() - make_interval(secs => CAST(:runs AS integer) - n)) AS t(at)
    """,
    f"""
    INSERT INTO tasks (id, idempotency_key, display_key, name, status, params, output,
                       started_at, completed_at, run_id)
    SELECT {_id("task", f"r.n * {TASKS_PER_READ_RUN} + k")}, 'step-' || k, 'Step ' || k,
           'step-' || k, 'COMPLETED', jsonb_build_object('k', k), jsonb_build_object('ok', true),
           now(), now(), {_id("run", "r.n")}
    FROM unnest(CAST(:read AS integer[])) AS r(n),
         generate_series(1, {TASKS_PER_READ_RUN}) AS k
    """,
)


async def _load_runs(url: str, key: str, runs: int, read: list[int]) -> None:
    database = Database.connect(url, pool_size=1)
    async with database.transaction() as session:
        environment = (
            await session.scalars(
                select(Environment).where(Environment.api_key_hash == hash_api_key(key))
            )
        ).one()
        params = {
            "environment_id": environment.id,
            "organization_id": environment.organization_id,
            "project_id": environment.project_id,
            "runs": runs,
            "read": read,
        }
        for statement in _LOAD_STATEMENTS:
            await session.execute(text(statement), params)
    async with database.transaction() as session:
        await session.execute(text("ANALYZE"))
        loaded = await session.scalar(text("SELECT count(*) FROM runs"))
    await database.dispose()
    assert loaded == runs, (loaded, runs)


def _read_runs(url: str, key: str, run_ids: list[str]) -> list[float]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers) as client:
        for index, run_id in enumerate(run_ids):
            started = time.perf_counter()
            response = client.get(f"/api/v1/runs/{run_id}")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            if index == 0:
                body = response.json()
                assert body["id"] == run_id and len(body["tasks"]) == TASKS_PER_READ_RUN, body
            if index >= REQUEST_WARMUP:
                latencies.append(elapsed)
    return latencies


def _get_run(runs: int, requests: int) -> None:
    rng = random.Random(1)
    numbers = rng.sample(range(1, runs + 1), REQUEST_WARMUP + requests)
    run_ids = [f"run_{n:026d}" for n in numbers]
    with bench_database() as url:
        key = dev_key(url)  # bootstraps the tenancy, as `kongflow serve` would
        started = time.perf_counter()
        asyncio.run(_load_runs(url, key, runs, numbers))
        load_seconds = time.perf_counter() - started
        with kongflow_server(url) as server:
            assert server.dev_key == key
            latencies = _read_runs(server.url, server.dev_key, run_ids)
    p99 = percentile(latencies, 0.99)
    print(
        f"2. GET /api/v1/runs/:id with {runs:,} runs in the table "
        f"(loaded with ANALYZE in {load_seconds:.1f} s), kongflow serve, 1 keep-alive client"
    )
    print(
        f"  {len(latencies)} sequential requests over random runs "
        f"({TASKS_PER_READ_RUN} tasks each, after {REQUEST_WARMUP} warm-up): "
        f"p50 {percentile(latencies, 0.5):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
        f"p99 {p99:.2f} ms, max {max(latencies):.2f} ms"
    )
    print(f"  target p99 < 20 ms: {'meets' if p99 < 20 else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300, help="events of each kind per size")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--only", choices=("delivery", "runs"))
    args = parser.parse_args()
    if args.only != "runs":
        with bench_database() as url:
            figures, plans = asyncio.run(_delivery(url, args.events))
        _report_delivery(figures, plans, args.events)
    if args.only != "delivery":
        if args.only is None:
            print()
        _get_run(args.runs, args.requests)


if __name__ == "__main__":
    main()
