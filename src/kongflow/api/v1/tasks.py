"""The task API a run's SDK calls, and the callback URLs third parties call.

Secret key, run of the caller's environment (404 ``run_not_found`` otherwise):

* ``POST /api/v1/runs/{runId}/tasks`` — create-or-get (RunTaskBody). The
  ``Idempotency-Key`` header is required (400 ``missing_idempotency_key``) and wins
  over the body's key, as in v2. With ``Trigger-Version: 2023-09-29`` the answer is
  ``{"task": ServerTask, "cachedTasks"?: {"tasks", "cursor"?}}`` with the response
  header ``trigger-version: 2023-09-29``, ``cachedTasks`` being the page of completed
  tasks starting at a non-empty ``X-Cached-Tasks-Cursor``; otherwise the bare
  ServerTask.
* ``POST /api/v1/runs/{runId}/tasks/{taskId}/complete`` — ``{output?, properties?}``;
  from ``Trigger-Version: 2023-11-01`` on ``output`` is JSON text. Answers the
  ServerTask. An output over 3 MiB fails the task first and then answers 413
  ``output_too_large`` (as v2): otherwise the task would stay RUNNING and each
  re-execution would run the body again and hit the same limit.
* ``POST /api/v1/runs/{runId}/tasks/{taskId}/fail`` — ``{error}``; the ServerTask.

No authentication (the secret in the URL is the credential):

* ``POST /api/v1/runs/{runId}/tasks/{taskId}/callback/{secret}`` and
  ``POST /api/v1/tasks/{taskId}/callback/{secret}`` — any JSON body (400 when it is
  not JSON, 413 over 3 MiB) completes a waiting callback task; ``{"success": true}``.

Success is always exactly 200: the SDK treats anything else as a failure.
"""

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.api.deps import EnvironmentDep, ResourcesDep, SessionDep
from kongflow.api.idempotency import idempotency_key as read_idempotency_key
from kongflow.db.orm import Run, Task
from kongflow.db.raw import autocommit_connection
from kongflow.domain.json_values import jsonb_problem
from kongflow.domain.protocol.tasks import (
    CompleteTaskBody,
    FailTaskBody,
    RunTaskBody,
)
from kongflow.errors import InvalidRequest, ValidationFailed
from kongflow.services.runs.find_run import find_run
from kongflow.services.tasks.cached_tasks import PAGE_BUDGET_CHARS, PAGE_SIZE, load_cached_tasks
from kongflow.services.tasks.complete_task import (
    MAX_OUTPUT_BYTES,
    OutputTooLarge,
    check_output_size,
    complete_task,
    parse_task_output,
)
from kongflow.services.tasks.fail_task import fail_task
from kongflow.services.tasks.run_task import run_task
from kongflow.services.tasks.server_task import (
    count_task_attempts,
    server_task_json,
    task_columns,
)
from kongflow.services.tasks.task_callback import complete_task_by_callback

router = APIRouter(prefix="/api/v1", tags=["tasks"])

LAZY_CACHED_TASKS_VERSION = "2023-09-29"
SERIALIZED_OUTPUT_VERSION = "2023-11-01"

OptionalHeader = Annotated[str | None, Header()]
_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}")


def _serialized_output(trigger_version: str | None) -> bool:
    """Whether the SDK sends task outputs as JSON text (version 2023-11-01 and later)."""
    return (
        trigger_version is not None
        and _VERSION.fullmatch(trigger_version) is not None
        and trigger_version >= SERIALIZED_OUTPUT_VERSION
    )


@router.post("/runs/{run_id}/tasks")
async def create_or_get_task(
    run_id: str,
    body: RunTaskBody,
    environment: EnvironmentDep,
    resources: ResourcesDep,
    idempotency_key: OptionalHeader = None,
    trigger_version: OptionalHeader = None,
    x_cached_tasks_cursor: OptionalHeader = None,
) -> JSONResponse:
    """Create the task of this idempotency key in the run, or return the existing one
    (plain statements in autocommit: every task starts here)."""
    body = body.model_copy(
        update={"idempotency_key": read_idempotency_key(idempotency_key, required=True)}
    )
    async with autocommit_connection(resources.database) as connection:
        result = await run_task(
            connection, environment, run_id, body, callback_base_url=resources.settings.base_url
        )
    task = server_task_json(result.task, force_yield=result.force_yield)
    if trigger_version != LAZY_CACHED_TASKS_VERSION:
        return JSONResponse(task)
    answer: dict[str, Any] = {"task": task}
    if x_cached_tasks_cursor:
        async with resources.database.transaction() as session:
            page = await load_cached_tasks(
                session,
                run_id,
                budget=PAGE_BUDGET_CHARS,
                start_at=x_cached_tasks_cursor,
                limit=PAGE_SIZE,
            )
        answer["cachedTasks"] = {"tasks": page.tasks}
        if page.cursor is not None:
            answer["cachedTasks"]["cursor"] = page.cursor
    return JSONResponse(answer, headers={"trigger-version": LAZY_CACHED_TASKS_VERSION})


async def _answer(session: AsyncSession, run: Run, task: Task) -> dict[str, Any]:
    attempts = await count_task_attempts(session, task.id)
    return server_task_json(
        task_columns(task, attempts=attempts), force_yield=run.force_yield_immediately
    )


def _completed_output(body: CompleteTaskBody, trigger_version: str | None) -> tuple[Any, bool]:
    """``(output, output_is_undefined)`` from a complete body, per the SDK's version."""
    sent = "output" in body.model_fields_set
    if _serialized_output(trigger_version):
        if not sent:
            return None, True
        if body.output is None:
            return None, False
        if not isinstance(body.output, str):
            raise ValidationFailed(
                "With Trigger-Version 2023-11-01 the output must be JSON text (a string).",
                code="invalid_output",
            )
        return parse_task_output(body.output), False
    if not sent:
        return {}, False  # older SDKs: v2 stored an empty object
    check_output_size(body.output)
    return body.output, False


@router.post("/runs/{run_id}/tasks/{task_id}/complete")
async def complete_run_task(
    run_id: str,
    task_id: str,
    body: CompleteTaskBody,
    environment: EnvironmentDep,
    resources: ResourcesDep,
    trigger_version: OptionalHeader = None,
) -> JSONResponse:
    """Record the task's output and answer the updated ServerTask.

    On every task's path, so it takes no ORM session (plain statements, each atomic
    on its own, with no ``BEGIN``/``COMMIT`` round trips) and answers a JSONResponse
    built directly (FastAPI's response validation of a plain dict costs more than
    building it).
    """
    database = resources.database
    try:
        output, undefined = _completed_output(body, trigger_version)
    except OutputTooLarge as exc:
        async with database.transaction() as session:
            run = await find_run(session, environment, run_id)
            await fail_task(
                session, run.id, task_id, {"name": "OutputTooLarge", "message": exc.message}
            )
        raise
    async with autocommit_connection(database) as connection:
        task = await complete_task(
            connection,
            run_id,
            task_id,
            output=output,
            output_is_undefined=undefined,
            properties=body.properties,
            scope=environment,
        )
    return JSONResponse(server_task_json(task, force_yield=task["force_yield_immediately"]))


@router.post("/runs/{run_id}/tasks/{task_id}/fail")
async def fail_run_task(
    run_id: str,
    task_id: str,
    body: FailTaskBody,
    environment: EnvironmentDep,
    session: SessionDep,
) -> dict[str, Any]:
    """Record the task's error and answer the updated ServerTask."""
    error = body.error.model_dump(by_alias=True, exclude_none=True)
    async with session.begin():
        run = await find_run(session, environment, run_id)
        task = await fail_task(session, run.id, task_id, error)
        return await _answer(session, run, task)


async def _callback_payload(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_OUTPUT_BYTES:
        raise OutputTooLarge(
            f"The callback body is {len(raw)} bytes; the limit is {MAX_OUTPUT_BYTES} bytes."
        )
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidRequest("The request body is not valid JSON.", code="invalid_json") from exc
    problem = jsonb_problem(payload)
    if problem is not None:
        raise ValidationFailed(f"The body cannot be stored: {problem}", code="invalid_output")
    return payload


async def _callback(
    request: Request, session: SessionDep, task_id: str, secret: str, run_id: str | None
) -> dict[str, bool]:
    payload = await _callback_payload(request)
    async with session.begin():
        await complete_task_by_callback(session, task_id, secret, payload, run_id=run_id)
    return {"success": True}


@router.post("/runs/{run_id}/tasks/{task_id}/callback/{secret}")
async def run_task_callback(
    run_id: str, task_id: str, secret: str, request: Request, session: SessionDep
) -> dict[str, bool]:
    """Complete a waiting callback task with the posted JSON (the URL is the secret)."""
    return await _callback(request, session, task_id, secret, run_id)


@router.post("/tasks/{task_id}/callback/{secret}")
async def task_callback(
    task_id: str, secret: str, request: Request, session: SessionDep
) -> dict[str, bool]:
    """v2's shorter callback URL: same as the run-scoped one."""
    return await _callback(request, session, task_id, secret, None)
