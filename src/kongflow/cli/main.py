"""`kongflow` commands: serve, api, worker, db, env, endpoints, org, send-event.

Each command prepares the instance the same way (``kongflow.instance``) and then does
one thing; output is a rich table for people and ``--json`` for scripts.
"""

import asyncio
import json
import signal
import socket
import sys
from collections.abc import Coroutine
from dataclasses import asdict
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from kongflow.api.app import create_app
from kongflow.cli.endpoints import endpoints_app
from kongflow.cli.events import send_event
from kongflow.cli.organizations import org_app
from kongflow.cli.serving import api_server, extra_api_processes, listening_socket
from kongflow.errors import KongflowError
from kongflow.instance import (
    Instance,
    ensure_bootstrapped,
    open_instance,
    open_instance_resources,
)
from kongflow.logging import configure_logging
from kongflow.services.bootstrap import BootstrapResult
from kongflow.services.environments.list_environments import list_environments
from kongflow.settings import Settings, get_settings
from kongflow.worker.app import connected_app, run_worker

app = typer.Typer(help="kongflow: self-hosted background jobs for trigger.dev v2 code.")
db_app = typer.Typer(help="Database maintenance.")
env_app = typer.Typer(help="Runtime environments and their API keys.")
app.add_typer(db_app, name="db")
app.add_typer(env_app, name="env")
app.add_typer(endpoints_app, name="endpoints")
app.add_typer(org_app, name="org")
app.command("send-event")(send_event)

console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code=1)


def run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived process's main coroutine on uvloop (measured: the stock event
    loop's socket writes were a fifth of the API's CPU time under load)."""
    try:
        import uvloop
    except ImportError:  # not built for this platform: the stock loop still works
        asyncio.run(main)
    else:
        uvloop.run(main)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so cleanup (the embedded server) runs."""

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def _announce_bootstrap(result: BootstrapResult | None) -> None:
    if result is None:
        return
    err_console.print(
        Panel(
            f"Created organization, project and environments [bold]dev[/], [bold]staging[/], "
            f"[bold]prod[/].\nDashboard admin: [bold]{result.admin_email}[/]  password: "
            f"[bold]{result.admin_password}[/]\nThe password is shown only once. "
            "API keys: `kongflow env list`.",
            title="kongflow first start",
        )
    )


HostOption = Annotated[str | None, typer.Option(help="Interface to listen on.")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on.")]


def _listen_settings(host: str | None, port: int | None) -> Settings:
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    return get_settings().model_copy(update=updates)


@app.command()
def serve(
    host: HostOption = None,
    port: PortOption = None,
    api_processes: Annotated[
        int,
        typer.Option(min=1, max=64, help="Processes serving the HTTP API (one per core helps)."),
    ] = 1,
) -> None:
    """Run the HTTP API and a worker (the single-machine setup)."""
    settings = _listen_settings(host, port)
    configure_logging(settings.log_level)
    _exit_on_sigterm()
    try:
        with open_instance(settings) as instance:
            sock = listening_socket(settings.host, settings.port)
            with extra_api_processes(api_processes - 1, settings):
                run_fast(_serve(instance, settings, sock))
    except KongflowError as exc:
        _fail(exc.message)


@app.command()
def api(host: HostOption = None, port: PortOption = None) -> None:
    """Run only the HTTP API, no worker (several may share one port)."""
    settings = _listen_settings(host, port)
    configure_logging(settings.log_level)
    _exit_on_sigterm()
    try:
        with open_instance(settings) as instance:
            sock = listening_socket(settings.host, settings.port)
            run_fast(_api(instance, settings, sock))
    except KongflowError as exc:
        _fail(exc.message)


async def _api(instance: Instance, settings: Settings, sock: socket.socket) -> None:
    async with open_instance_resources(
        instance, settings, pool_size=settings.api_database_connections
    ) as resources:
        await api_server(create_app(resources)).serve(sockets=[sock])


async def _serve(instance: Instance, settings: Settings, sock: socket.socket) -> None:
    # One pool serves both the API's requests and the worker's jobs.
    pool_size = settings.api_database_connections + settings.worker_concurrency
    async with open_instance_resources(instance, settings, pool_size=pool_size) as resources:
        _announce_bootstrap(await ensure_bootstrapped(resources.database, instance.key))
        server = api_server(create_app(resources))
        with connected_app(instance.url) as worker_app:
            async with worker_app.open_async():
                worker = asyncio.create_task(
                    run_worker(
                        worker_app,
                        resources,
                        concurrency=settings.worker_concurrency,
                        install_signal_handlers=False,
                    )
                )
                err_console.print(f"kongflow listening on http://{settings.host}:{settings.port}")
                try:
                    await server.serve(sockets=[sock])
                finally:
                    worker.cancel()
                    await asyncio.gather(worker, return_exceptions=True)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs this process runs at once.")] = None,
) -> None:
    """Run only a worker: start more of these, on any machine, against one PostgreSQL."""
    settings = get_settings()
    configure_logging(settings.log_level)
    _exit_on_sigterm()
    try:
        with open_instance(settings) as instance:
            run_fast(_work(instance, settings, concurrency or settings.worker_concurrency))
    except KongflowError as exc:
        _fail(exc.message)


async def _work(instance: Instance, settings: Settings, concurrency: int) -> None:
    async with open_instance_resources(instance, settings, pool_size=concurrency) as resources:
        _announce_bootstrap(await ensure_bootstrapped(resources.database, instance.key))
        with connected_app(instance.url, max_connections=concurrency + 2) as worker_app:
            async with worker_app.open_async():
                err_console.print(f"kongflow worker running {concurrency} jobs at a time")
                await run_worker(worker_app, resources, concurrency=concurrency)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending database migrations (every command also does this at start)."""
    settings = get_settings()
    try:
        with open_instance(settings):
            pass
    except KongflowError as exc:
        _fail(exc.message)
    err_console.print("database is up to date")


@env_app.command("list")
def env_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show every environment with its secret and public API keys."""
    settings = get_settings()
    try:
        with open_instance(settings) as instance:
            environments = asyncio.run(_environments(instance, settings))
    except KongflowError as exc:
        _fail(exc.message)
    if as_json:
        payload = [
            {
                "slug": e.slug,
                "type": e.type,
                "apiKey": e.api_key,
                "pkApiKey": e.pk_api_key,
                "project": e.project,
                "organization": e.organization,
            }
            for e in environments
        ]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    columns = ("organization", "project", "slug", "type", "api_key", "pk_api_key")
    table = Table(title="Environments")
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for environment in environments:
        row = asdict(environment)
        table.add_row(*(str(row[column]) for column in columns))
    console.print(table)


async def _environments(instance: Instance, settings: Settings) -> list[Any]:
    async with open_instance_resources(instance, settings, pool_size=1) as resources:
        _announce_bootstrap(await ensure_bootstrapped(resources.database, instance.key))
        async with resources.database.transaction() as session:
            return await list_environments(session, instance.key)
