"""Benchmark event ingestion: sustained ``POST /api/v1/events`` from 16 clients.

No job listens to the events, so this measures ingestion alone (authentication,
the idempotent insert, the dispatcher lookup). `kongflow serve` runs in its own
process; the clients use aiohttp, the cheapest HTTP client available here, in this
process. Issue target: at least 1,000 events/s on 2 cores.

    .venv/bin/python -m bench.ingest [--seconds 10] [--clients 16]
"""

import argparse
import asyncio
import json
import time

import aiohttp

from bench.server import kongflow_server
from bench.support import bench_database, percentile


async def _load(url: str, key: str, clients: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    async def client(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal errors
        sent = 0
        while time.perf_counter() < deadline:
            event = {"name": "bench.nobody.listens", "payload": {"n": sent}}
            body = json.dumps({"event": event, "options": {}})
            started = time.perf_counter()
            async with session.post(f"{url}/api/v1/events", data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - started) * 1000)
            sent += 1

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session, n) for n in range(clients)))
    return len(latencies), latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--api-processes", type=int, default=2)
    args = parser.parse_args()
    with (
        bench_database() as database_url,
        kongflow_server(database_url, api_processes=args.api_processes) as server,
    ):
        asyncio.run(_load(server.url, server.dev_key, args.clients, 2.0))  # warm-up
        count, latencies, errors = asyncio.run(
            _load(server.url, server.dev_key, args.clients, args.seconds)
        )
    print(
        f"POST /api/v1/events, {args.clients} clients, {args.seconds:.0f} s, no matching job, "
        f"kongflow serve --api-processes {args.api_processes}"
    )
    print(f"  throughput: {count / args.seconds:.0f} events/s ({count} events, {errors} errors)")
    print(
        f"  latency: p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms"
    )


if __name__ == "__main__":
    main()
