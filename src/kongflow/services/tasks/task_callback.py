"""Callback tasks: a third party completes them, or their timeout errors them
(platform spec §5.6, "Callback tasks").

``io.waitForRequest`` and friends create a WAITING task with a ``callbackUrl`` that
ends in a random secret. A POST of any JSON to that URL completes the task with the
JSON as its output and resumes the run; if nothing arrives in time the
``task_callback_timeout`` job errors the task and resumes the run (the SDK then
throws the task's error). Whichever comes first wins: both lock the task row and
act only on a task that is still WAITING.
"""

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Task, TaskAttempt
from kongflow.domain.enums import TaskAttemptStatus, TaskStatus
from kongflow.errors import NotFound
from kongflow.services.runs.queue_execution import queue_task_resume
from kongflow.services.tasks.run_task import callback_timeout_lock
from kongflow.worker.defer import cancel_waiting_job

CALLBACK_TIMEOUT_OUTPUT = "Remote callback timeout - no requests received"
_CALLBACK_PATH = re.compile(r"api/v1/(?:runs/([^/?#]+)/)?tasks/([^/?#]+)/callback/([^/?#]+)")


@dataclass(frozen=True)
class CallbackTarget:
    """The task a callback URL of this server points at (``run_id`` only in the
    run-scoped form)."""

    run_id: str | None
    task_id: str
    secret: str


def own_callback_target(url: str, base_url: str) -> CallbackTarget | None:
    """The task ``url`` calls back when it is one of this server's callback URLs
    (under ``base_url``), so that the server can complete it without an HTTP call to
    itself; None for any other URL."""
    prefix = base_url.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    found = _CALLBACK_PATH.fullmatch(url[len(prefix) :])
    if found is None:
        return None
    run_id, task_id, secret = found.groups()
    return CallbackTarget(run_id, task_id, secret)


async def _lock_task(session: AsyncSession, task_id: str) -> Task | None:
    if "\x00" in task_id:  # PostgreSQL refuses NUL in a query parameter
        return None
    return await session.scalar(select(Task).where(Task.id == task_id).with_for_update())


def _secret_matches(callback_url: str | None, secret: str) -> bool:
    if not callback_url:
        return False
    expected = callback_url.rstrip("/").rsplit("/", 1)[-1]
    return hmac.compare_digest(expected.encode(), secret.encode())


async def _finish_pending_attempts(
    session: AsyncSession, task_id: str, status: TaskAttemptStatus, error: str | None = None
) -> None:
    await session.execute(
        update(TaskAttempt)
        .where(TaskAttempt.task_id == task_id, TaskAttempt.status == TaskAttemptStatus.PENDING)
        .values(status=status, error=error)
    )


async def complete_task_by_callback(
    session: AsyncSession, task_id: str, secret: str, payload: Any, *, run_id: str | None = None
) -> bool:
    """Complete the WAITING callback task ``task_id`` with ``payload`` and resume its run.

    ``secret`` must equal the last path segment of the task's ``callbackUrl``, and
    ``run_id`` (when the URL named one) the task's run; otherwise NotFound
    (``task_not_found``). A task that is no longer WAITING (already called back, timed
    out, cancelled) is left alone: the answer is False.
    """
    task = await _lock_task(session, task_id)
    if (
        task is None
        or (run_id is not None and task.run_id != run_id)
        or not _secret_matches(task.callback_url, secret)
    ):
        raise NotFound("Task not found", code="task_not_found")
    if task.status is not TaskStatus.WAITING:
        return False
    task.status = TaskStatus.COMPLETED
    task.output = payload
    task.output_is_undefined = False
    task.completed_at = datetime.now(UTC)
    await _finish_pending_attempts(session, task.id, TaskAttemptStatus.COMPLETED)
    await cancel_waiting_job(session, callback_timeout_lock(task.id))
    await queue_task_resume(session, task.run_id, task.id)
    await session.flush()
    return True


async def time_out_task_callback(session: AsyncSession, task_id: str) -> bool:
    """Error callback task ``task_id`` if it is still WAITING, and resume its run.

    Its output becomes ``"Remote callback timeout - no requests received"`` (as v2).
    False when there was nothing to do (task gone, or no longer waiting).
    """
    task = await _lock_task(session, task_id)
    if task is None or task.status is not TaskStatus.WAITING or task.callback_url is None:
        return False
    task.status = TaskStatus.ERRORED
    task.output = CALLBACK_TIMEOUT_OUTPUT
    task.output_is_undefined = False
    task.error = CALLBACK_TIMEOUT_OUTPUT
    task.completed_at = datetime.now(UTC)
    await _finish_pending_attempts(
        session, task.id, TaskAttemptStatus.ERRORED, CALLBACK_TIMEOUT_OUTPUT
    )
    await queue_task_resume(session, task.run_id, task.id)
    await session.flush()
    return True
