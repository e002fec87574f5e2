"""The ``EXECUTE_JOB`` body (RunJobBody) for one execution of a run.

What the SDK needs to re-run the job function from the top without repeating work:
the event, the run and its tenancy, the completed tasks to replay (up to a size
budget, with a cursor for the rest), the completed noop tasks as a bloom filter, the
``io.yield`` keys already passed, and the time budget after which it should yield.
Endpoints older than the 2023-09-29 protocol get the legacy body (all completed
tasks, nothing else).
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task
from kongflow.domain.enums import TaskStatus
from kongflow.domain.noop_tasks import encode_noop_tasks
from kongflow.domain.protocol.base import iso
from kongflow.services.events.event_log import api_event_log
from kongflow.services.runs.run_context import RunContext
from kongflow.services.runs.tenancy_json import account_json, tenancy_json
from kongflow.services.tasks.cached_tasks import (
    EXECUTION_BUDGET_CHARS,
    cached_task_json,
    load_cached_tasks,
    load_noop_task_set,
)

EMPTY_NOOP_TASK_SET = encode_noop_tasks(())

LAZY_CACHE_VERSION = "2023-09-29"
CHUNK_MARGIN_MS = 350


def supports_lazy_cache(endpoint_version: str) -> bool:
    """Whether the endpoint speaks the 2023-09-29 protocol (v2 compared version strings
    as text; ``unknown`` and ``unversioned`` never qualify)."""
    return endpoint_version not in ("unknown", "unversioned") and endpoint_version >= (
        LAZY_CACHE_VERSION
    )


def execution_body(context: RunContext) -> dict[str, Any]:
    """RunJobBody for the run of ``context`` with no completed task to replay: the
    whole body of a first execution (:func:`add_completed_tasks` fills in those of a
    later one)."""
    run, event, endpoint, account = context.run, context.event, context.endpoint, context.account
    body: dict[str, Any] = {
        "event": api_event_log(event),
        "job": {"id": context.job.slug, "version": context.version.version},
        "run": {
            "id": run.id,
            "isTest": run.is_test,
            "startedAt": iso(datetime.now(UTC)),
            "isRetry": False,
        },
        **tenancy_json(context.environment, context.organization, context.project),
        "connections": {},
        "tasks": [],
    }
    if account is not None:
        body["account"] = account_json(account)
    source = event.source_context
    if isinstance(source, dict) and "id" in source:
        body["source"] = {"id": source["id"], "metadata": source.get("metadata")}
    if not supports_lazy_cache(endpoint.version):
        return body
    body["noopTasksSet"] = EMPTY_NOOP_TASK_SET
    body["yieldedExecutions"] = list(run.yielded_executions)
    body["runChunkExecutionLimit"] = endpoint.run_chunk_execution_limit - CHUNK_MARGIN_MS
    body["autoYieldConfig"] = {
        "startTaskThreshold": endpoint.start_task_threshold,
        "beforeExecuteTaskThreshold": endpoint.before_execute_task_threshold,
        "beforeCompleteTaskThreshold": endpoint.before_complete_task_threshold,
        "afterCompleteTaskThreshold": endpoint.after_complete_task_threshold,
    }
    return body


async def add_completed_tasks(
    session: AsyncSession, body: dict[str, Any], run_id: str, endpoint_version: str
) -> None:
    """Put the run's completed tasks, as they stand in the database now, into ``body``:
    all of them for a legacy endpoint; otherwise a page within the size budget (with a
    cursor for the rest) and the noop tasks as a bloom filter."""
    if not supports_lazy_cache(endpoint_version):
        completed = await session.scalars(
            select(Task)
            .where(Task.run_id == run_id, Task.status == TaskStatus.COMPLETED)
            .order_by(Task.id)
        )
        body["tasks"] = [cached_task_json(task) for task in completed]
        return
    page = await load_cached_tasks(session, run_id, budget=EXECUTION_BUDGET_CHARS)
    body["tasks"] = page.tasks
    if page.cursor:
        body["cachedTaskCursor"] = page.cursor
    body["noopTasksSet"] = await load_noop_task_set(session, run_id)
