"""`kongflow org`: organizations and how many executions each may run at once.

kongflow org concurrency              # show every organization's limit
kongflow org concurrency 20           # set it (the only organization)
kongflow org concurrency 20 --org acme
"""

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from kongflow.cli.on_instance import run_on_instance
from kongflow.resources import Resources
from kongflow.services.organizations.concurrency_limit import (
    OrganizationLimit,
    list_concurrency_limits,
    set_concurrency_limit,
)

org_app = typer.Typer(help="Organizations and their concurrency limit.")
console = Console()


@org_app.command("concurrency")
def concurrency(
    limit: Annotated[
        int | None,
        typer.Argument(help="New limit: executions in flight at once (leave out to show)."),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="Organization slug (needed if several).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show or set how many run executions an organization may have in flight at once
    (10 by default; raise it when you add workers)."""

    async def work(resources: Resources) -> list[OrganizationLimit]:
        async with resources.database.transaction() as session:
            if limit is not None:
                return [await set_concurrency_limit(session, limit, slug=org)]
            return await list_concurrency_limits(session, slug=org)

    limits = run_on_instance(work)
    if as_json:
        rows = [{"organization": i.slug, "concurrencyLimit": i.concurrency_limit} for i in limits]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="Concurrency limits")
    for column in ("organization", "title", "executions at once"):
        table.add_column(column)
    for item in limits:
        table.add_row(item.slug, item.title, str(item.concurrency_limit))
    console.print(table)
