"""Run a command's work on the server's database directly, for the commands that
work whether or not `kongflow serve` is running (endpoints, org): the same set-up
(migrations, first-start bootstrap) and the same error output for all of them."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console

from kongflow.errors import KongflowError
from kongflow.instance import Instance, ensure_bootstrapped, open_instance, open_instance_resources
from kongflow.resources import Resources
from kongflow.settings import get_settings

_Result = TypeVar("_Result")
err_console = Console(stderr=True)


def run_on_instance(work: Callable[[Resources], Awaitable[_Result]]) -> _Result:
    """``work(resources)`` on this instance; a KongflowError is printed and exits 1."""
    settings = get_settings()
    try:
        with open_instance(settings) as instance:
            return asyncio.run(_with_resources(instance, work))
    except KongflowError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=1) from exc


async def _with_resources(
    instance: Instance, work: Callable[[Resources], Awaitable[_Result]]
) -> _Result:
    async with open_instance_resources(instance, get_settings(), pool_size=2) as resources:
        await ensure_bootstrapped(resources.database, instance.key)
        return await work(resources)
