"""PerformRunExecution: one EXECUTE_JOB call for a run, from claim to outcome.

Three steps, with no transaction held open across the network:

1. *prepare*: read the run and build the body (one transaction), then in one SQL
   function call claim a concurrency place and mark the run EXECUTING (numbering
   it), provided it is still in the status that was read;
2. *call* the endpoint;
3. *record* the outcome (``record_execution_outcome``), which also decides what
   happens next, and free the concurrency place, in one transaction.

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

from kongflow.db.orm import (
    Endpoint,
    Environment,
    EventRecord,
    Job,
    JobVersion,
    Organization,
    Project,
    Run,
    Task,
)
from kongflow.db.raw import autocommit, driver_connection, select_list, transient
from kongflow.domain.enums import RunStatus
from kongflow.domain.states import check_run_transition
from kongflow.resources import Resources
from kongflow.services.endpoints.endpoint_api import EndpointApi, EndpointError, RawAnswer
from kongflow.services.environments.environment_api_key import decrypt_api_key
from kongflow.services.runs.concurrency import STALE_AFTER, limits_of, release_slot
from kongflow.services.runs.execution_body import build_execution_body
from kongflow.services.runs.record_execution_outcome import record_execution_outcome

logger = logging.getLogger(__name__)

EXECUTABLE = (RunStatus.QUEUED, RunStatus.WAITING_TO_EXECUTE, RunStatus.EXECUTING)
HTTP_MARGIN_MS = 15_000

# One plain query for the run and everything its execution body names, read into
# session-less ORM objects (no lock: starting the execution checks that the run is
# still in the status read here). Through the ORM, with joined loads, this read was
# the most expensive statement of a run.
_CONTEXT = {
    "run": Run,
    "event": EventRecord,
    "endpoint": Endpoint,
    "version": JobVersion,
    "job": Job,
    "environment": Environment,
    "organization": Organization,
    "project": Project,
}
_RUN_WITH_CONTEXT = (
    f"SELECT {', '.join(select_list(model, alias) for alias, model in _CONTEXT.items())} "
    "FROM runs run "
    "JOIN event_records event ON event.id = run.event_id "
    "JOIN endpoints endpoint ON endpoint.id = run.endpoint_id "
    "JOIN job_versions version ON version.id = run.version_id "
    "JOIN jobs job ON job.id = run.job_id "
    "JOIN environments environment ON environment.id = run.environment_id "
    "JOIN organizations organization ON organization.id = run.organization_id "
    "JOIN projects project ON project.id = run.project_id "
    "WHERE run.id = $1"
)

# Lock the run, claim its place, mark it EXECUTING and number it (migration 0006).
_START = "SELECT kongflow_start_execution($1, $2, $3, $4, $5, $6)"


@dataclass(frozen=True)
class PreparedExecution:
    """What the call and the outcome need, read in the prepare transaction."""

    run_id: str
    endpoint_url: str
    api_key: str
    body: dict[str, Any]
    timeout_ms: int
    task_count: int
    endpoint_version: str


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
    try:
        async with resources.database.transaction() as session:
            await record_execution_outcome(
                session,
                run_id,
                answer,
                task_count_before=prepared.task_count,
                endpoint_version=prepared.endpoint_version,
            )
            await release_slot(session, run_id)  # with the outcome, in one commit
    except BaseException:
        await _give_back_slot(resources, run_id)
        raise


async def _give_back_slot(resources: Resources, run_id: str) -> None:
    """Free the run's concurrency place on its own, when it cannot go with an outcome."""
    async with resources.database.transaction() as session:
        await release_slot(session, run_id)


async def _prepare(resources: Resources, run_id: str) -> PreparedExecution | None:
    """Read what the call needs, then start the execution (claim and mark), or
    return None when the run waits for a place or is no longer executable.

    The read holds no lock; the start checks the run did not change meanwhile.
    """
    async with resources.database.transaction() as session:
        connection = await driver_connection(session)
        row = await connection.fetchrow(_RUN_WITH_CONTEXT, run_id)
        if row is None:
            return None
        run = transient(Run, row, "run")
        if run.status not in EXECUTABLE:
            return None
        version = transient(JobVersion, row, "version")
        endpoint = transient(Endpoint, row, "endpoint")
        environment = transient(Environment, row, "environment")
        organization = transient(Organization, row, "organization")
        # A run's first execution has no tasks yet: skip the queries that look for them.
        first = run.status is RunStatus.QUEUED and run.execution_count == 0
        body = await build_execution_body(
            session,
            run,
            job=transient(Job, row, "job"),
            version=version,
            event=transient(EventRecord, row, "event"),
            endpoint=endpoint,
            environment=environment,
            organization=organization,
            project=transient(Project, row, "project"),
            with_tasks=not first,
        )
        task_count = 0
        if not first:
            task_count = (
                await session.scalar(
                    select(func.count()).select_from(Task).where(Task.run_id == run.id)
                )
            ) or 0
        limits = await limits_of(session, run, version, organization)
        prepared = PreparedExecution(
            run_id=run.id,
            endpoint_url=endpoint.url,
            api_key=decrypt_api_key(resources.key, environment),
            body=body,
            timeout_ms=endpoint.run_chunk_execution_limit + HTTP_MARGIN_MS,
            task_count=task_count,
            endpoint_version=endpoint.version,
        )
        status = run.status
    if status is not RunStatus.EXECUTING:
        check_run_transition(status, RunStatus.EXECUTING)

    started = await autocommit(
        resources.database,
        _START,
        run_id,
        status.value,
        [limit.key for limit in limits],
        [limit.limit for limit in limits],
        int(STALE_AFTER.total_seconds()),
        datetime.now(UTC),
    )
    if started == "waiting":
        logger.info("run %s waits for a concurrency place", run_id)
    if started != "started":  # or the run moved on since it was read (a cancel, say)
        return None
    return prepared
