"""CreateRun: a run of one job version for one event, started in the same transaction.

Records the run and who wants to hear when it ends (``callbackUrl``), then starts it
(StartRun: number, credentials, first execution queued), so the run's first
EXECUTE_JOB is one queue hop away from the event that caused it.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventRecord, Job, JobVersion, Run, RunSubscription
from kongflow.domain.enums import RunStatus, RunSubscriptionEvent, RunSubscriptionRecipientMethod
from kongflow.ids import new_id
from kongflow.services.runs.start_run import start_run


async def create_run(
    session: AsyncSession,
    *,
    event: EventRecord,
    job: Job,
    version: JobVersion,
    callback_url: str | None = None,
) -> Run:
    """Insert and start a run of ``version`` for ``event`` (in the version's environment)."""
    run = Run(
        id=new_id("run"),
        status=RunStatus.PENDING,
        job_id=job.id,
        version_id=version.id,
        event_id=event.id,
        organization_id=version.organization_id,
        project_id=version.project_id,
        environment_id=version.environment_id,
        endpoint_id=version.endpoint_id,
        external_account_id=event.external_account_id,
        is_test=event.is_test,
        internal=job.internal,
        preprocess=version.preprocess_runs,
    )
    session.add(run)  # written by StartRun's flush, with its first status
    if callback_url:
        await session.flush()
        session.add_all(
            RunSubscription(
                run_id=run.id,
                recipient=callback_url,
                recipient_method=RunSubscriptionRecipientMethod.WEBHOOK,
                event=outcome,
            )
            for outcome in (RunSubscriptionEvent.SUCCESS, RunSubscriptionEvent.FAILURE)
        )
        await session.flush()
    await start_run(session, run)
    return run
