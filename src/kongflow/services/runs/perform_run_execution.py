"""PerformRunExecution: one EXECUTE_JOB call for a run, from claim to outcome.

Three steps, two short transactions and the HTTP call between them (no transaction
is held open across the network):

1. *prepare*: lock the run, check it may execute, claim a concurrency place, build
   the body, mark it EXECUTING;
2. *call* the endpoint;
3. *record* the outcome (``record_execution_outcome``), which also decides what
   happens next and frees the concurrency place.

Only jobs holding the run's procrastinate lock call this, so one run never has two
executions at once; finding the run EXECUTING therefore means the previous holder
died mid-call, and the execution simply happens again (completed tasks replay from
the cache, so none runs twice).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kongflow.db.orm import Endpoint, Environment, EventRecord, Job, JobVersion, Run, Task
from kongflow.domain.enums import RunStatus
from kongflow.domain.states import check_run_transition
from kongflow.resources import Resources
from kongflow.services.endpoints.endpoint_api import EndpointApi, EndpointError, RawAnswer
from kongflow.services.environments.environment_api_key import environment_api_key
from kongflow.services.runs.concurrency import claim_slot, limits_of
from kongflow.services.runs.execution_body import build_execution_body
from kongflow.services.runs.record_execution_outcome import record_execution_outcome

logger = logging.getLogger(__name__)

EXECUTABLE = (RunStatus.QUEUED, RunStatus.WAITING_TO_EXECUTE, RunStatus.EXECUTING)
HTTP_MARGIN_MS = 15_000


@dataclass(frozen=True)
class PreparedExecution:
    """What the call and the outcome need, read in the prepare transaction."""

    run_id: str
    endpoint_url: str
    api_key: str
    body: dict[str, Any]
    timeout_ms: int
    task_count: int


async def perform_run_execution(resources: Resources, run_id: str) -> None:
    """Execute run ``run_id`` once, if it is ready to, and record what happened."""
    prepared = await _prepare(resources, run_id)
    if prepared is None:
        return
    api = EndpointApi(resources.http, prepared.endpoint_url, prepared.api_key)
    answer: RawAnswer | EndpointError
    try:
        answer = await api.execute_job(prepared.body, timeout_ms=prepared.timeout_ms)
    except EndpointError as exc:
        answer = exc
    async with resources.database.transaction() as session:
        await record_execution_outcome(
            session, run_id, answer, task_count_before=prepared.task_count
        )


async def _prepare(resources: Resources, run_id: str) -> PreparedExecution | None:
    async with resources.database.transaction() as session:
        run = await session.scalar(
            select(Run)
            .where(Run.id == run_id)
            .options(selectinload(Run.event), selectinload(Run.endpoint))
            .with_for_update(of=Run)
        )
        if run is None or run.status not in EXECUTABLE:
            return None
        version = await session.get_one(JobVersion, run.version_id)
        if not await claim_slot(session, run.id, await limits_of(session, run, version)):
            logger.info("run %s waits for a concurrency place", run.id)
            return None
        job = await session.get_one(Job, run.job_id)
        endpoint: Endpoint = run.endpoint
        event: EventRecord = run.event
        environment = await session.get_one(Environment, run.environment_id)
        body = await build_execution_body(
            session,
            run,
            job=job,
            version=version,
            event=event,
            endpoint=endpoint,
            environment=environment,
        )
        task_count = await session.scalar(
            select(func.count()).select_from(Task).where(Task.run_id == run.id)
        )
        if run.status is not RunStatus.EXECUTING:
            check_run_transition(run.status, RunStatus.EXECUTING)
            run.status = RunStatus.EXECUTING
        if run.started_at is None:
            run.started_at = datetime.now(UTC)
        api_key = await environment_api_key(session, resources.key, run.environment_id)
        return PreparedExecution(
            run_id=run.id,
            endpoint_url=endpoint.url,
            api_key=api_key,
            body=body,
            timeout_ms=endpoint.run_chunk_execution_limit + HTTP_MARGIN_MS,
            task_count=task_count or 0,
        )
