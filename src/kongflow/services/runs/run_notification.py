"""The RunNotification body: what a finished run's subscribers are told (platform §5.10).

One shape serves both kinds of subscriber: a ``callbackUrl`` given to invoke gets it
as a signed webhook, and the job's own endpoint gets it as ``RUN_NOTIFICATION`` (the
SDK hands it to the job's ``onSuccess`` / ``onFailure``). ``ok`` says which: a
successful run carries its ``output``; any other final status carries the run's
output as ``error`` and, when there is one, the task that errored last.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import RunStatusRecord, Task
from kongflow.domain.enums import RunStatus, TaskStatus
from kongflow.domain.protocol.base import iso
from kongflow.services.runs.run_context import RunContext
from kongflow.services.runs.tenancy_json import account_json, tenancy_json
from kongflow.services.runs.update_run_status import status_entry


async def build_run_notification(session: AsyncSession, context: RunContext) -> dict[str, Any]:
    """The RunNotification for the run of ``context`` (its statuses and errored task as
    they stand in the database now)."""
    run, event = context.run, context.event
    statuses = await session.scalars(
        select(RunStatusRecord)
        .where(RunStatusRecord.run_id == run.id)
        .order_by(RunStatusRecord.created_at, RunStatusRecord.id)
    )
    ok = run.status == RunStatus.SUCCESS
    notification: dict[str, Any] = {
        "ok": ok,
        "id": run.id,
        "status": run.status.value,
        "statuses": [
            {
                "key": record.key,
                **status_entry(record.label, record.state, record.data),
                "history": record.history or [],
            }
            for record in statuses
        ],
        "startedAt": iso(run.started_at),
        "updatedAt": iso(run.updated_at),
        "completedAt": iso(run.completed_at),
        "isTest": run.is_test,
        "executionDurationInMs": run.execution_duration,
        "executionCount": run.execution_count,
        "job": {"id": context.job.slug, "version": context.version.version},
        **tenancy_json(context.environment, context.organization, context.project),
        "invocation": {
            "id": event.event_id,
            "context": event.context,
            "timestamp": iso(event.timestamp),
            "payload": event.payload,
        },
    }
    if context.account is not None:
        notification["account"] = account_json(context.account)
    if ok:
        notification["output"] = run.output
        return notification
    notification["error"] = run.output
    task = await _last_errored_task(session, run.id)
    if task is not None:
        notification["task"] = {
            # v2 names the task by its idempotency key here, not by its row id.
            "id": task.idempotency_key,
            "cacheKey": task.display_key,
            "status": task.status.value,
            "name": task.name,
            "icon": task.icon,
            "startedAt": iso(task.started_at),
            "error": task.output,
            "params": task.params,
        }
    return notification


async def _last_errored_task(session: AsyncSession, run_id: str) -> Task | None:
    return await session.scalar(
        select(Task)
        .where(Task.run_id == run_id, Task.status == TaskStatus.ERRORED)
        .order_by(Task.started_at.desc().nulls_last(), Task.created_at.desc(), Task.id.desc())
        .limit(1)
    )
