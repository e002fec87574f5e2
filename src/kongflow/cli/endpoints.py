"""`kongflow endpoints`: register, list and re-index the endpoints hosting your jobs.

These commands work on the server's database directly (like `env list`): `add` and
`index` run the index in this process and show what was registered, so they work
whether or not `kongflow serve` is running.
"""

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from kongflow.cli.on_instance import run_on_instance
from kongflow.db.orm import EndpointIndex
from kongflow.domain.enums import EndpointIndexSource
from kongflow.domain.protocol.base import iso
from kongflow.resources import Resources
from kongflow.services.endpoints.create_endpoint import (
    check_endpoint_url,
    create_endpoint,
    ping_endpoint,
    queue_endpoint_index,
)
from kongflow.services.endpoints.endpoint_api import EndpointApi
from kongflow.services.endpoints.find_endpoint import find_endpoint
from kongflow.services.endpoints.list_endpoints import list_endpoints
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from kongflow.services.environments.environment_api_key import environment_api_key
from kongflow.services.environments.find_environment import find_environment

endpoints_app = typer.Typer(help="Endpoints: the HTTP handlers in your app that host jobs.")
console = Console()
err_console = Console(stderr=True)

EnvOption = Annotated[str, typer.Option("--env", help="Environment slug (dev, staging, prod).")]
IdOption = Annotated[str, typer.Option("--id", help="The endpoint id (the SDK client's id).")]


async def _index_now(resources: Resources, index: EndpointIndex) -> EndpointIndex:
    with err_console.status("Indexing the endpoint…"):
        return await perform_endpoint_index(resources, index.id)


def _print_index(index: EndpointIndex) -> None:
    if index.error:
        err_console.print(f"[bold red]index failed:[/] {index.error.get('message')}")
        raise typer.Exit(code=1)
    stats = index.stats or {}
    data = index.data or {}
    console.print(
        f"[green]indexed[/]: {stats.get('jobs', 0)} jobs registered, "
        f"{stats.get('disabledJobs', 0)} disabled, {stats.get('failedJobs', 0)} failed, "
        f"{stats.get('sources', 0)} sources, {stats.get('dynamicTriggers', 0)} dynamic triggers, "
        f"{stats.get('dynamicSchedules', 0)} dynamic schedules"
    )
    errors = data.get("jobErrors") or []
    if errors:
        table = Table(title="Jobs that could not be registered")
        table.add_column("job")
        table.add_column("problems", overflow="fold")
        for error in errors:
            table.add_row(str(error.get("id")), "\n".join(error.get("problems", [])))
        console.print(table)
        raise typer.Exit(code=2)


@endpoints_app.command("add")
def add(
    env: EnvOption,
    endpoint_id: IdOption,
    url: Annotated[str, typer.Option("--url", help="Where the endpoint listens.")],
) -> None:
    """Register an endpoint (ping it with the environment's key) and index its jobs."""

    async def work(resources: Resources) -> EndpointIndex:
        checked = check_endpoint_url(url)
        async with resources.database.transaction() as session:
            scope = await find_environment(session, env)
            api_key = await environment_api_key(session, resources.key, scope.id)
        api = EndpointApi(
            resources.http, checked, api_key, timeout=resources.settings.endpoint_timeout_seconds
        )
        versions = await ping_endpoint(api, endpoint_id)
        async with resources.database.transaction() as session:
            created = await create_endpoint(
                session, scope, slug=endpoint_id, url=checked, versions=versions, defer_index=False
            )
        return await _index_now(resources, created.index)

    _print_index(run_on_instance(work))


@endpoints_app.command("index")
def index(env: EnvOption, endpoint_id: IdOption) -> None:
    """Fetch the endpoint's jobs again and register what changed."""

    async def work(resources: Resources) -> EndpointIndex:
        async with resources.database.transaction() as session:
            scope = await find_environment(session, env)
            endpoint = await find_endpoint(session, scope, endpoint_id)
            queued = await queue_endpoint_index(
                session, endpoint, source=EndpointIndexSource.MANUAL, reason="cli", defer=False
            )
        return await _index_now(resources, queued)

    _print_index(run_on_instance(work))


@endpoints_app.command("list")
def list_command(
    env: EnvOption = "dev",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the environment's endpoints with their last index and active jobs."""

    async def work(resources: Resources) -> list[Any]:
        async with resources.database.transaction() as session:
            return await list_endpoints(session, await find_environment(session, env))

    endpoints = run_on_instance(work)
    if as_json:
        rows = [
            {
                "id": e.slug,
                "url": e.url,
                "version": e.version,
                "sdkVersion": e.sdk_version,
                "lastIndexStatus": e.last_index_status.value if e.last_index_status else None,
                "lastIndexedAt": iso(e.last_indexed_at),
                "activeJobs": e.active_jobs,
            }
            for e in endpoints
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"Endpoints in {env}")
    for column in ("id", "url", "sdk", "last index", "indexed at", "active jobs"):
        table.add_column(column, overflow="fold")
    for e in endpoints:
        table.add_row(
            e.slug,
            e.url,
            e.sdk_version,
            e.last_index_status.value if e.last_index_status else "-",
            iso(e.last_indexed_at) or "-",
            str(e.active_jobs),
        )
    console.print(table)
