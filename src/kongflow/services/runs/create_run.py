"""CreateRun: a run of one job version for one event, started in the same transaction.

Records the run and who wants to hear when it ends (``callbackUrl``) and starts it,
so the run's first EXECUTE_JOB is one queue hop away from the event that caused it.
A version without integrations (nearly all of them) needs nothing resolved: its run
is inserted already QUEUED, in one statement, with its first execution queued in the
next. Otherwise StartRun resolves the connections first.

Every event that matches a job comes through here, so the statements are plain
asyncpg (``db/raw.py``): through the ORM, the version lookup and the run's insert
were most of the cost of delivering an event.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from kongflow.db.orm import EventRecord, Job, JobVersion, Run, RunSubscription
from kongflow.db.raw import Work, driver_connection, session_of
from kongflow.domain.enums import RunStatus, RunSubscriptionEvent, RunSubscriptionRecipientMethod
from kongflow.ids import new_id
from kongflow.services.runs.queue_execution import queue_execution
from kongflow.services.runs.start_run import start_run


@dataclass(frozen=True)
class RunTarget:
    """The job version a new run executes, with what the run copies from it."""

    job_id: str
    internal: bool
    version_id: str
    organization_id: str
    project_id: str
    environment_id: str
    endpoint_id: str
    preprocess: bool
    integrated: bool | None = None  # uses integrations? None: not looked up yet

    @classmethod
    def of(cls, job: Job, version: JobVersion) -> "RunTarget":
        return cls(
            job_id=job.id,
            internal=job.internal,
            version_id=version.id,
            organization_id=version.organization_id,
            project_id=version.project_id,
            environment_id=version.environment_id,
            endpoint_id=version.endpoint_id,
            preprocess=version.preprocess_runs,
        )


_ACTIVE_TARGET = (
    "SELECT j.id AS job_id, j.internal, v.id AS version_id, v.organization_id, "
    "v.project_id, v.environment_id, v.endpoint_id, v.preprocess_runs AS preprocess, "
    "EXISTS (SELECT 1 FROM job_integrations i WHERE i.version_id = v.id) AS integrated "
    "FROM job_versions v JOIN jobs j ON j.id = v.job_id "
    "WHERE v.id = $1 AND v.status = 'ACTIVE'"
)
_HAS_INTEGRATIONS = "SELECT EXISTS (SELECT 1 FROM job_integrations WHERE version_id = $1)"
_INSERT_RUN = (
    "INSERT INTO runs (id, status, queued_at, job_id, version_id, event_id, "
    "organization_id, project_id, environment_id, endpoint_id, external_account_id, "
    "is_test, internal, preprocess) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
)


async def find_active_target(work: Work, version_id: str) -> RunTarget | None:
    """Version ``version_id`` as a run target, or None unless it is ACTIVE."""
    connection = await driver_connection(work)
    row = await connection.fetchrow(_ACTIVE_TARGET, version_id)
    return None if row is None else RunTarget(**row)


async def create_run(
    work: Work,
    *,
    event: EventRecord,
    target: RunTarget,
    callback_url: str | None = None,
) -> str:
    """Insert and start a run of ``target`` for ``event``; returns the run's id.

    A callback or a version using integrations takes an ORM session (``work`` as a
    plain connection raises ``SessionNeeded`` for those).
    """
    connection = await driver_connection(work)
    integrated = target.integrated
    if integrated is None:
        integrated = bool(await connection.fetchval(_HAS_INTEGRATIONS, target.version_id))
    run_id = new_id(Run.__id_prefix__)
    status = RunStatus.PENDING if integrated else RunStatus.QUEUED
    await connection.execute(
        _INSERT_RUN,
        run_id,
        status.value,
        None if integrated else datetime.now(UTC),
        target.job_id,
        target.version_id,
        event.id,
        target.organization_id,
        target.project_id,
        target.environment_id,
        target.endpoint_id,
        event.external_account_id,
        event.is_test,
        target.internal,
        target.preprocess,
    )
    if callback_url:
        session = session_of(work)
        session.add_all(
            RunSubscription(
                run_id=run_id,
                recipient=callback_url,
                recipient_method=RunSubscriptionRecipientMethod.WEBHOOK,
                event=outcome,
            )
            for outcome in (RunSubscriptionEvent.SUCCESS, RunSubscriptionEvent.FAILURE)
        )
        await session.flush()
    if integrated:
        session = session_of(work)
        await start_run(session, await session.get_one(Run, run_id))
    else:
        await queue_execution(work, run_id)
    return run_id
