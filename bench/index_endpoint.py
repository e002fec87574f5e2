"""Benchmark endpoint indexing: one endpoint exposing 200 jobs, served on loopback.

Measures PerformEndpointIndex end to end (INDEX_ENDPOINT call, validation, one
transaction per job): a first index (every job new) and re-indexes of the same
catalogue. Issue target: under 5 s for 200 jobs on 2 cores.

    .venv/bin/python -m bench.index_endpoint [--jobs 200] [--repeat 3]
"""

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.support.http import serve_app

from bench.register_jobs import _job
from bench.support import bench_database
from kongflow.crypto import InstanceKey
from kongflow.db.orm import EndpointIndex
from kongflow.domain.enums import EndpointIndexSource
from kongflow.instance import ensure_bootstrapped
from kongflow.resources import open_resources
from kongflow.services.endpoints.create_endpoint import create_endpoint, queue_endpoint_index
from kongflow.services.endpoints.endpoint_api import EndpointVersions
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from kongflow.services.environments.environment_api_key import environment_api_key
from kongflow.services.environments.find_environment import find_environment
from kongflow.settings import Settings


def _catalogue(jobs: int) -> bytes:
    listed = [{k: v for k, v in _job(n).items() if v is not None} for n in range(jobs)]
    return json.dumps(
        {"jobs": listed, "sources": [], "dynamicTriggers": [], "dynamicSchedules": []}
    ).encode()


@contextlib.asynccontextmanager
async def _endpoint(body: bytes, api_key: str) -> AsyncIterator[str]:
    """A minimal endpoint answering every action with the catalogue."""

    async def handle(request: Request) -> Response:
        if request.headers.get("x-trigger-api-key") != api_key:
            return Response(b'{"message":"bad key"}', 401)
        return Response(body, headers={"content-type": "application/json"})

    app = Starlette(routes=[Route("/api/trigger", handle, methods=["POST"])])
    async with serve_app(app) as base:
        yield f"{base}/api/trigger"


async def _run(url: str, jobs: int, repeat: int) -> None:
    key = InstanceKey.from_secret("bench")
    settings = Settings(database_url=url, secret_key="bench")
    async with open_resources(url, key, settings) as resources:
        await ensure_bootstrapped(resources.database, key)
        async with resources.database.transaction() as session:
            scope = await find_environment(session, "prod")
            api_key = await environment_api_key(session, key, scope.id)
        async with _endpoint(_catalogue(jobs), api_key) as endpoint_url:
            async with resources.database.transaction() as session:
                created = await create_endpoint(
                    session,
                    scope,
                    slug="bench-app",
                    url=endpoint_url,
                    versions=EndpointVersions("2023-09-29", "2.3.19"),
                    defer_index=False,
                )
            timings: list[tuple[str, float, dict[str, Any]]] = []
            index: EndpointIndex = created.index
            for attempt in range(repeat + 1):
                if attempt:
                    async with resources.database.transaction() as session:
                        index = await queue_endpoint_index(
                            session, created.endpoint, source=EndpointIndexSource.API, defer=False
                        )
                started = time.perf_counter()
                done = await perform_endpoint_index(resources, index.id)
                elapsed = time.perf_counter() - started
                assert done.stats and done.stats["jobs"] == jobs, done.error
                timings.append(
                    ("first index" if attempt == 0 else f"re-index {attempt}", elapsed, done.stats)
                )
    print(f"indexing one endpoint with {jobs} jobs")
    for label, elapsed, _ in timings:
        print(f"  {label:<12} {elapsed:6.2f} s  ({elapsed / jobs * 1000:5.1f} ms per job)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with bench_database() as url:
        asyncio.run(_run(url, args.jobs, args.repeat))


if __name__ == "__main__":
    main()
