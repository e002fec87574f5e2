"""GetRun: a run with one page of its tasks and its statuses (``getRun``, ``cancelRun``).

Tasks are paged over the run's top-level tasks in creation (id) order. With
``subtasks`` every task of the page carries its whole subtree, children in creation
order, so a page is always a complete set of trees. v2 paged over all tasks and then
nested the children it happened to load, which could split a parent from its
children across pages.

The cursor is the id of the first top-level task of the next page (v2 used the same
convention); a cursor that names no top-level task of the run is ``invalid_cursor``.
A page costs one query, plus one for the subtrees when they are asked for.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, load_only

from kongflow.db.orm import Run, RunStatusRecord, Task
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import InvalidRequest
from kongflow.services.runs.list_run_statuses import list_run_statuses

DEFAULT_TASK_PAGE_SIZE = 20
MAX_TASK_PAGE_SIZE = 50

_Columns = tuple[InstrumentedAttribute[Any], ...]

# What a task of a GetRun answer shows; ``params`` and ``output`` only with details.
_SUMMARY_COLUMNS: _Columns = (
    Task.id,
    Task.parent_id,
    Task.display_key,
    Task.status,
    Task.name,
    Task.icon,
    Task.started_at,
    Task.completed_at,
)
_DETAIL_COLUMNS: _Columns = (Task.params, Task.output)


@dataclass(frozen=True)
class TaskPage:
    """Which tasks to show: ``take`` top-level tasks from ``cursor`` on, with their
    subtrees when ``subtasks``, and their params and output when ``details``."""

    take: int = DEFAULT_TASK_PAGE_SIZE
    cursor: str | None = None
    subtasks: bool = False
    details: bool = False


@dataclass
class TaskNode:
    """A task of the page; ``subtasks`` is None when subtrees were not asked for."""

    task: Task
    subtasks: list["TaskNode"] | None = None


@dataclass(frozen=True)
class RunDetail:
    """A run, a page of its tasks, its statuses (oldest first) and the next cursor."""

    run: Run
    tasks: list[TaskNode]
    statuses: list[RunStatusRecord] = field(default_factory=list)
    next_cursor: str | None = None


def invalid_cursor(cursor: str) -> InvalidRequest:
    """The error for a cursor that does not name a place in the list being paged."""
    return InvalidRequest(f"The cursor {cursor!r} is not valid here.", code="invalid_cursor")


async def get_run(
    session: AsyncSession, scope: EnvironmentScope, run_id: str, page: TaskPage
) -> RunDetail:
    """Run ``run_id`` of ``scope``'s environment with one page of its tasks and its
    statuses, or NotFound (``run_not_found``); InvalidRequest (``invalid_cursor``)
    for a cursor that is not a top-level task of the run."""
    found = await list_run_statuses(session, scope, run_id)
    return await _with_tasks(session, found.run, found.statuses, page)


async def read_run_detail(session: AsyncSession, run: Run, page: TaskPage) -> RunDetail:
    """As :func:`get_run`, for a run the caller already holds (and has scoped)."""
    statuses = await session.scalars(
        select(RunStatusRecord)
        .where(RunStatusRecord.run_id == run.id)
        .order_by(RunStatusRecord.created_at, RunStatusRecord.id)
    )
    return await _with_tasks(session, run, list(statuses), page)


async def _with_tasks(
    session: AsyncSession, run: Run, statuses: list[RunStatusRecord], page: TaskPage
) -> RunDetail:
    take = max(1, min(page.take, MAX_TASK_PAGE_SIZE))
    columns = _SUMMARY_COLUMNS + _DETAIL_COLUMNS if page.details else _SUMMARY_COLUMNS
    query = (
        select(Task)
        .where(Task.run_id == run.id, Task.parent_id.is_(None))
        .order_by(Task.id)
        .limit(take + 1)
        .options(load_only(*columns, raiseload=True))
    )
    if page.cursor is not None:
        if "\x00" in page.cursor:  # no id holds one, and PostgreSQL refuses it in a query
            raise invalid_cursor(page.cursor)
        query = query.where(Task.id >= page.cursor)
    rows = list(await session.scalars(query))
    # The cursor is inclusive: a valid one is the first row the query finds.
    if page.cursor is not None and (not rows or rows[0].id != page.cursor):
        raise invalid_cursor(page.cursor)
    next_cursor = rows[take].id if len(rows) > take else None
    roots = [TaskNode(task, [] if page.subtasks else None) for task in rows[:take]]
    if page.subtasks and roots:
        await _attach_subtrees(session, run, roots, columns)
    return RunDetail(run=run, tasks=roots, statuses=statuses, next_cursor=next_cursor)


async def _attach_subtrees(
    session: AsyncSession, run: Run, roots: list[TaskNode], columns: _Columns
) -> None:
    """Load every descendant of ``roots`` in one query and nest it under its parent."""
    subtree = (
        select(Task.id)
        .where(Task.parent_id.in_([root.task.id for root in roots]))
        .cte("subtree", recursive=True)
    )
    # UNION (not UNION ALL) ends the walk even if a bad row ever formed a cycle.
    subtree = subtree.union(select(Task.id).join(subtree, Task.parent_id == subtree.c.id))
    descendants = await session.scalars(
        select(Task)
        .where(Task.id.in_(select(subtree.c.id)), Task.run_id == run.id)
        .order_by(Task.id)
        .options(load_only(*columns, raiseload=True))
    )
    nodes = {root.task.id: root for root in roots}
    children = [TaskNode(task, []) for task in descendants]
    nodes.update((child.task.id, child) for child in children)
    for child in children:
        parent = nodes.get(child.task.parent_id or "")
        if parent is not None and parent.subtasks is not None:
            parent.subtasks.append(child)
