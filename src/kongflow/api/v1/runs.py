"""The SDK's run routes: read a run, list a job's runs, invoke a job, cancel runs.

* ``GET /api/v1|v2/runs/{runId}`` (secret or public key; the SDK calls v2) with
  ``subtasks``, ``taskdetails``, ``cursor``, ``take`` (default 20, at most 50) →
  GetRun ``{id, status, startedAt, updatedAt, completedAt, output, tasks, statuses,
  nextCursor?}``, ``status`` in the public mapping (in-flight runs read as
  ``STARTED``). Tasks are the run's top-level tasks; with ``subtasks=true`` each has
  ``subtasks`` (its whole subtree). ``params`` and ``output`` are added per task with
  ``taskdetails=true``, and never for a public key.
* ``POST /api/v1/runs/{runId}/cancel`` → the run in the GetRun shape, status as
  stored (not mapped), ``output`` left out when there is none (as recorded). A
  finished run is answered unchanged.
* ``GET /api/v1/jobs/{jobSlug}/runs`` with ``cursor``, ``take`` → ``{runs: [{id,
  status, startedAt, updatedAt, completedAt}], nextCursor?}``, newest first.
* ``POST /api/v1/jobs/{jobSlug}/invoke`` with ``{payload?, context?, options?:
  {accountId?, callbackUrl?}}`` and an optional ``Idempotency-Key`` → ``{id}``.
* ``POST /api/v1/jobs/{jobSlug}/cancel-runs`` → ``{cancelledRunIds,
  failedToCancelRunIds}``.

Everything is scoped to the key's environment: another environment's run or job is
a 404 (``run_not_found`` / ``job_not_found``), and cancel-runs only touches this
environment's runs (v2 cancelled the job's runs in every environment).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query

from kongflow.api.deps import AnyKeyEnvironmentDep, EnvironmentDep, SessionDep
from kongflow.api.idempotency import idempotency_key as read_idempotency_key
from kongflow.api.v1.statuses import status_json
from kongflow.domain.protocol.base import iso
from kongflow.domain.protocol.invoke import InvokeJobBody
from kongflow.domain.states import public_run_status
from kongflow.services.jobs.cancel_job_runs import cancel_job_runs
from kongflow.services.jobs.invoke_job import invoke_job
from kongflow.services.runs.cancel_run import cancel_run
from kongflow.services.runs.find_run import find_run
from kongflow.services.runs.get_run import (
    DEFAULT_TASK_PAGE_SIZE,
    RunDetail,
    TaskNode,
    TaskPage,
    get_run,
    read_run_detail,
)
from kongflow.services.runs.list_job_runs import DEFAULT_RUN_PAGE_SIZE, list_job_runs

router = APIRouter(tags=["runs"])

# PostgreSQL text cannot hold NUL: such a slug can name no job.
JobSlug = Annotated[str, Path(pattern=r"^[^\x00]+$")]
Take = Annotated[int, Query(ge=1, description="Page size; values above 50 read as 50.")]


def _task_json(node: TaskNode, *, details: bool) -> dict[str, Any]:
    task = node.task
    body: dict[str, Any] = {
        "id": task.id,
        "displayKey": task.display_key,
        "status": task.status.value,
        "name": task.name,
        "icon": task.icon,
        "startedAt": iso(task.started_at),
        "completedAt": iso(task.completed_at),
    }
    if details:
        body["params"] = task.params
        body["output"] = task.output
    if node.subtasks is not None:
        body["subtasks"] = [_task_json(child, details=details) for child in node.subtasks]
    return body


def _run_json(
    detail: RunDetail, *, status: str, details: bool, null_output: bool
) -> dict[str, Any]:
    run = detail.run
    body: dict[str, Any] = {
        "id": run.id,
        "status": status,
        "startedAt": iso(run.started_at),
        "updatedAt": iso(run.updated_at),
        "completedAt": iso(run.completed_at),
    }
    if run.output is not None or null_output:
        body["output"] = run.output
    body["tasks"] = [_task_json(node, details=details) for node in detail.tasks]
    body["statuses"] = [status_json(record) for record in detail.statuses]
    if detail.next_cursor is not None:
        body["nextCursor"] = detail.next_cursor
    return body


@router.get("/api/v1/runs/{run_id}")
@router.get("/api/v2/runs/{run_id}")
async def read_run(
    run_id: str,
    environment: AnyKeyEnvironmentDep,
    session: SessionDep,
    subtasks: bool = False,
    taskdetails: bool = False,
    cursor: str | None = None,
    take: Take = DEFAULT_TASK_PAGE_SIZE,
) -> dict[str, Any]:
    """The run with a page of its tasks and its statuses."""
    details = taskdetails and not environment.public_key
    page = TaskPage(take=take, cursor=cursor or None, subtasks=subtasks, details=details)
    async with session.begin():
        detail = await get_run(session, environment, run_id, page)
        status = public_run_status(detail.run.status)
        return _run_json(detail, status=status, details=details, null_output=True)


@router.post("/api/v1/runs/{run_id}/cancel")
async def cancel(run_id: str, environment: EnvironmentDep, session: SessionDep) -> dict[str, Any]:
    """Cancel the run unless it has finished; answer it in the GetRun shape."""
    async with session.begin():
        run = await find_run(session, environment, run_id)
        await session.refresh(run, with_for_update=True)
        await cancel_run(session, run)
        detail = await read_run_detail(session, run, TaskPage())
        return _run_json(detail, status=run.status.value, details=False, null_output=False)


@router.get("/api/v1/jobs/{job_slug}/runs")
async def list_runs(
    job_slug: JobSlug,
    environment: EnvironmentDep,
    session: SessionDep,
    cursor: str | None = None,
    take: Take = DEFAULT_RUN_PAGE_SIZE,
) -> dict[str, Any]:
    """The job's runs in this environment, newest first."""
    async with session.begin():
        page = await list_job_runs(session, environment, job_slug, take=take, cursor=cursor or None)
        body: dict[str, Any] = {
            "runs": [
                {
                    "id": run.id,
                    "status": public_run_status(run.status),
                    "startedAt": iso(run.started_at),
                    "updatedAt": iso(run.updated_at),
                    "completedAt": iso(run.completed_at),
                }
                for run in page.runs
            ]
        }
    if page.next_cursor is not None:
        body["nextCursor"] = page.next_cursor
    return body


@router.post("/api/v1/jobs/{job_slug}/invoke")
async def invoke(
    job_slug: JobSlug,
    environment: EnvironmentDep,
    session: SessionDep,
    body: Annotated[InvokeJobBody | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, str]:
    """Start a run of the job's live version with the payload (once per key)."""
    key = read_idempotency_key(idempotency_key, required=False)
    body = body or InvokeJobBody()
    options = body.options
    async with session.begin():
        run_id = await invoke_job(
            session,
            environment,
            job_slug,
            payload=body.payload,
            context=body.context,
            account_id=options.account_id if options else None,
            callback_url=options.callback_url if options else None,
            idempotency_key=key,
        )
        return {"id": run_id}


@router.post("/api/v1/jobs/{job_slug}/cancel-runs")
async def cancel_runs(
    job_slug: JobSlug, environment: EnvironmentDep, session: SessionDep
) -> dict[str, list[str]]:
    """Cancel the job's unfinished runs in this environment."""
    async with session.begin():
        result = await cancel_job_runs(session, environment, job_slug)
    return result.as_json()
