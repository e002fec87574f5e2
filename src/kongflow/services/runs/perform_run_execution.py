"""PerformRunExecution: one EXECUTE_JOB call for a run, from claim to outcome.

Three steps, with no transaction held open across the network:

1. *prepare*: read the run's context in one statement and build the body (a
   re-execution also reads its completed tasks), then in one SQL function call
   claim a concurrency place and mark the run EXECUTING (numbering it), provided
   it is still in the status that was read;
2. *call* the endpoint;
3. *record* the outcome (``record_execution_outcome``), which also decides what
   happens next, and free the concurrency place, in one transaction; a plain
   SUCCESS, the usual end, is one statement (``finish_execution``).

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

from kongflow.db.orm import Task
from kongflow.db.raw import autocommit, autocommit_connection, raw_transaction
from kongflow.domain.enums import RunStatus
from kongflow.domain.states import check_run_transition
from kongflow.resources import Resources
from kongflow.services.endpoints.endpoint_api import EndpointApi, EndpointError, RawAnswer
from kongflow.services.environments.environment_api_key import decrypt_api_key
from kongflow.services.runs.concurrency import STALE_AFTER, release_slot, wake
from kongflow.services.runs.execution_body import add_completed_tasks, execution_body
from kongflow.services.runs.finish_run import finish_execution
from kongflow.services.runs.record_execution_outcome import plain_success, record_execution_outcome
from kongflow.services.runs.run_context import read_run_context

logger = logging.getLogger(__name__)

EXECUTABLE = (RunStatus.QUEUED, RunStatus.WAITING_TO_EXECUTE, RunStatus.EXECUTING)
HTTP_MARGIN_MS = 15_000

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
        if await _finish_at_once(resources, run_id, answer, prepared.endpoint_version):
            return
        async with raw_transaction(resources.database) as connection:
            await record_execution_outcome(
                connection,
                run_id,
                answer,
                task_count_before=prepared.task_count,
                endpoint_version=prepared.endpoint_version,
            )
            await release_slot(connection, run_id)  # with the outcome, in one commit
    except BaseException:
        await _give_back_slot(resources, run_id)
        raise


async def _finish_at_once(
    resources: Resources, run_id: str, answer: RawAnswer | EndpointError, endpoint_version: str
) -> bool:
    """Record a plain SUCCESS in one statement (freeing the concurrency place with it);
    False when the answer or the run needs the general way."""
    success = plain_success(answer, endpoint_version)
    if success is None:
        return False
    assert isinstance(answer, RawAnswer)  # a SUCCESS is an answer
    async with autocommit_connection(resources.database) as connection:
        woken = await finish_execution(
            connection,
            run_id,
            RunStatus.SUCCESS,
            success.output,
            elapsed_ms=int(answer.elapsed_ms),
        )
    if woken is None:
        return False
    if woken:
        # Lost only if this process dies right here: the minutely `recover` job wakes them.
        async with raw_transaction(resources.database) as connection:
            await wake(connection, woken)
    return True


async def _give_back_slot(resources: Resources, run_id: str) -> None:
    """Free the run's concurrency place on its own, when it cannot go with an outcome."""
    async with raw_transaction(resources.database) as connection:
        await release_slot(connection, run_id)


async def _prepare(resources: Resources, run_id: str) -> PreparedExecution | None:
    """Read what the call needs, then start the execution (claim and mark), or
    return None when the run waits for a place or is no longer executable.

    The read holds no lock; the start checks the run did not change meanwhile.
    """
    async with autocommit_connection(resources.database) as connection:
        context = await read_run_context(connection, run_id)
    if context is None:
        return None
    run, endpoint = context.run, context.endpoint
    status = run.status
    if status not in EXECUTABLE:
        return None
    body = execution_body(context)
    task_count = 0
    # A run's first execution has no tasks yet: no transaction to look for them.
    if status is not RunStatus.QUEUED or run.execution_count > 0:
        async with resources.database.transaction() as session:
            await add_completed_tasks(session, body, run.id, endpoint.version)
            count = select(func.count()).select_from(Task).where(Task.run_id == run.id)
            task_count = await session.scalar(count) or 0
    limits = context.limits()
    prepared = PreparedExecution(
        run_id=run.id,
        endpoint_url=endpoint.url,
        api_key=decrypt_api_key(resources.key, context.environment),
        body=body,
        timeout_ms=endpoint.run_chunk_execution_limit + HTTP_MARGIN_MS,
        task_count=task_count,
        endpoint_version=endpoint.version,
    )
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
