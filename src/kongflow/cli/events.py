"""`kongflow send-event`: send an event from the command line, as the SDK would."""

import asyncio
import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import select

from kongflow.db.orm import Run
from kongflow.domain.protocol.events import RawEvent, SendEventOptions
from kongflow.errors import KongflowError
from kongflow.instance import Instance, ensure_bootstrapped, open_instance, open_instance_resources
from kongflow.services.environments.find_environment import find_environment
from kongflow.services.events.event_log import api_event_log
from kongflow.services.events.ingest_event import ingest_event
from kongflow.settings import get_settings

console = Console()
err_console = Console(stderr=True)


def send_event(
    name: Annotated[str, typer.Argument(help="The event name, e.g. order.created.")],
    payload: Annotated[str, typer.Option(help="The payload, as JSON.")] = "{}",
    env: Annotated[str, typer.Option(help="Environment slug (dev, staging, prod).")] = "dev",
    event_id: Annotated[
        str | None, typer.Option("--id", help="Event id (sending an id twice delivers once).")
    ] = None,
    deliver_after: Annotated[
        int | None, typer.Option(help="Deliver this many seconds from now.")
    ] = None,
) -> None:
    """Send an event: the jobs listening to it start (when `kongflow serve` or a worker runs)."""
    try:
        raw = RawEvent(name=name, payload=json.loads(payload), id=event_id)
        options = SendEventOptions(deliver_after=deliver_after)
    except (ValueError, ValidationError) as exc:
        err_console.print(f"[bold red]error:[/] invalid event: {exc}")
        raise typer.Exit(code=1) from exc
    settings = get_settings()
    try:
        with open_instance(settings) as instance:
            result = asyncio.run(_send(instance, env, raw, options))
    except KongflowError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=1) from exc
    event, run_ids = result
    console.print_json(json.dumps({**event, "runs": run_ids}))


async def _send(
    instance: Instance, env: str, raw: RawEvent, options: SendEventOptions
) -> tuple[dict[str, Any], list[str]]:
    async with open_instance_resources(instance, get_settings(), pool_size=1) as resources:
        await ensure_bootstrapped(resources.database, instance.key)
        async with resources.database.transaction() as session:
            scope = await find_environment(session, env)
            event = await ingest_event(session, scope, raw, options)
            run_ids = list(await session.scalars(select(Run.id).where(Run.event_id == event.id)))
            return api_event_log(event), run_ids
