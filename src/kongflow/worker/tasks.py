"""Worker task catalogue. Each task is thin: it opens a transaction (or hands the
whole payload) to one service."""

from datetime import UTC, datetime

import procrastinate

from kongflow.db.maintenance import vacuum_busy_tables
from kongflow.services.endpoints.perform_endpoint_index import perform_endpoint_index
from kongflow.services.endpoints.purge_endpoint_indexes import purge_endpoint_indexes
from kongflow.services.endpoints.reindex_deployed_endpoints import reindex_deployed_endpoints
from kongflow.services.events.ephemeral_dispatcher import (
    expire_ephemeral_dispatcher,
    invoke_ephemeral_dispatcher,
)
from kongflow.services.events.ingest_event import deliver_scheduled_event
from kongflow.services.runs.concurrency import wake_all_waiters
from kongflow.services.runs.deliver_run_subscriptions import deliver_run_subscriptions
from kongflow.services.runs.perform_run_execution import perform_run_execution
from kongflow.services.schedules.schedule_ticks import fire_schedule
from kongflow.services.tasks.resume_task import resume_task
from kongflow.services.tasks.task_callback import time_out_task_callback
from kongflow.worker.app import app, resources_of
from kongflow.worker.names import (
    DELIVER_EVENT,
    DELIVER_RUN_SUBSCRIPTIONS,
    DELIVER_SCHEDULED,
    EXECUTE_RUN,
    EXPIRE_EPHEMERAL_DISPATCHER,
    INDEX_ENDPOINT,
    INVOKE_EPHEMERAL_DISPATCHER,
    RESUME_TASK,
    TASK_CALLBACK_TIMEOUT,
)
from kongflow.worker.recovery import recover_stalled_jobs

# A job that crashed (database error, worker killed) is tried again; the services
# are written so that a second run of the same job does no harm.
_CRASH_RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2)

# Jobs that keep the engine healthy are fetched before waiting work: behind a backlog
# of executions they would only run once the backlog is gone, when they matter least.
_MAINTENANCE_PRIORITY = 100


@app.task(name=INDEX_ENDPOINT, pass_context=True, retry=2)
async def index_endpoint(context: procrastinate.JobContext, endpoint_index_id: str) -> None:
    """Fetch and apply an endpoint's catalogue (see PerformEndpointIndex)."""
    await perform_endpoint_index(resources_of(context), endpoint_index_id)


@app.task(name=DELIVER_EVENT, pass_context=True, retry=_CRASH_RETRY)
async def deliver_event(context: procrastinate.JobContext, event_record_id: str) -> None:
    """An event sent for later is due: deliver it (see IngestEvent)."""
    async with resources_of(context).database.transaction() as session:
        await deliver_scheduled_event(session, event_record_id)


@app.task(name=DELIVER_SCHEDULED, pass_context=True, retry=_CRASH_RETRY)
async def deliver_scheduled(context: procrastinate.JobContext, schedule_source_id: str) -> None:
    """A schedule's tick is due: fire it and queue the next (see schedule_ticks)."""
    async with resources_of(context).database.transaction() as session:
        await fire_schedule(session, schedule_source_id)


@app.task(name=EXECUTE_RUN, pass_context=True, retry=_CRASH_RETRY)
async def execute_run(context: procrastinate.JobContext, run_id: str) -> None:
    """One EXECUTE_JOB call for a run (see PerformRunExecution)."""
    await perform_run_execution(resources_of(context), run_id)


@app.task(name=RESUME_TASK, pass_context=True, retry=_CRASH_RETRY)
async def resume_task_then_execute(context: procrastinate.JobContext, task_id: str) -> None:
    """A task the run waited for is due: advance it, then execute the run in this job."""
    resources = resources_of(context)
    async with resources.database.transaction() as session:
        run_id = await resume_task(session, task_id)
    if run_id is not None:
        await perform_run_execution(resources, run_id)


@app.periodic(cron="* * * * *", periodic_id="recover", priority=_MAINTENANCE_PRIORITY)
@app.task(name="recover", pass_context=True, queueing_lock="recover")
async def recover(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every minute: re-queue jobs of dead workers, and let runs waiting for a
    concurrency place re-check (a safety net for places freed by expiry)."""
    resources = resources_of(context)
    await recover_stalled_jobs(
        context.app, heartbeat_seconds=resources.settings.worker_heartbeat_seconds
    )
    async with resources.database.transaction() as session:
        await wake_all_waiters(session)


@app.periodic(cron="* * * * * */10", periodic_id="vacuum", priority=_MAINTENANCE_PRIORITY)
@app.task(name="vacuum_busy_tables", pass_context=True, queueing_lock="vacuum")
async def vacuum(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every ten seconds: keep the tables every execution churns small
    (``kongflow.db.maintenance``)."""
    await vacuum_busy_tables(resources_of(context).database)


@app.periodic(cron="*/5 * * * *", periodic_id="reindex_deployed_endpoints")
@app.task(name="reindex_deployed_endpoints", pass_context=True, queueing_lock="reindex")
async def reindex_deployed(context: procrastinate.JobContext, timestamp: int) -> None:
    """Every five minutes: queue indexes of deployed endpoints (see the service)."""
    async with resources_of(context).database.transaction() as session:
        await reindex_deployed_endpoints(session, now=datetime.fromtimestamp(timestamp, UTC))


@app.periodic(cron="17 * * * *", periodic_id="purge_endpoint_indexes")
@app.task(name="purge_endpoint_indexes", pass_context=True, queueing_lock="purge_indexes")
async def purge_indexes(context: procrastinate.JobContext, timestamp: int) -> None:
    """Hourly: delete index records older than a week."""
    async with resources_of(context).database.transaction() as session:
        await purge_endpoint_indexes(session, now=datetime.fromtimestamp(timestamp, UTC))


@app.task(name=TASK_CALLBACK_TIMEOUT, pass_context=True, retry=_CRASH_RETRY)
async def task_callback_timeout(context: procrastinate.JobContext, task_id: str) -> None:
    """Nobody called a callback task's URL in time: error the task and resume its run
    (a no-op when the callback arrived first; see task_callback)."""
    async with resources_of(context).database.transaction() as session:
        await time_out_task_callback(session, task_id)


@app.task(
    name=DELIVER_RUN_SUBSCRIPTIONS,
    pass_context=True,
    retry=procrastinate.RetryStrategy(max_attempts=13, exponential_wait=2),
)
async def deliver_run_subscriptions_task(context: procrastinate.JobContext, run_id: str) -> None:
    """A run finished: notify its webhook and endpoint subscribers (see
    DeliverRunSubscriptions). An undelivered notification fails the job, so it is
    retried; the retry skips the subscribers already told."""
    await deliver_run_subscriptions(resources_of(context), run_id)


@app.task(
    name=INVOKE_EPHEMERAL_DISPATCHER,
    pass_context=True,
    retry=procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2),
)
async def invoke_ephemeral_dispatcher_task(
    context: procrastinate.JobContext, dispatcher_id: str, event_record_id: str
) -> None:
    """An event matched an ``io.waitForEvent`` dispatcher: deliver it to the waiting
    task (retried while its URL refuses it)."""
    await invoke_ephemeral_dispatcher(resources_of(context), dispatcher_id, event_record_id)


@app.task(name=EXPIRE_EPHEMERAL_DISPATCHER, pass_context=True, retry=_CRASH_RETRY)
async def expire_ephemeral_dispatcher_task(
    context: procrastinate.JobContext, dispatcher_id: str
) -> None:
    """An ``io.waitForEvent`` dispatcher's time is up: delete it."""
    async with resources_of(context).database.transaction() as session:
        await expire_ephemeral_dispatcher(session, dispatcher_id)
