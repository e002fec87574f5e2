"""StartRun: resolve the connections of a new run whose job version uses integrations.

CreateRun only comes here for such a run (the others need nothing resolved and are
inserted QUEUED). Each integration gets its connection; a HOSTED integration without
one makes the run wait in WAITING_ON_CONNECTIONS instead, recorded as a
MissingConnection. Otherwise the run is QUEUED and its first execution queued, in the
caller's transaction (v2 did this in a worker job after CreateRun: one more queue hop
before the first EXECUTE_JOB).

The run's number is given when its first execution starts (PerformRunExecution, in
the one statement that marks it EXECUTING), not here: the job's counter row is
locked until the numbering transaction commits, and an event transaction (a bulk of
events, say) would hold it much longer than that statement does.
"""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    Integration,
    IntegrationConnection,
    JobIntegration,
    MissingConnection,
    Run,
    RunConnection,
    run_missing_connections,
)
from kongflow.db.upsert import insert_if_absent
from kongflow.domain.enums import ConnectionType, IntegrationAuthSource, RunStatus
from kongflow.domain.states import check_run_transition
from kongflow.services.runs.queue_execution import queue_execution

DEVELOPER = "DEVELOPER"


async def start_run(session: AsyncSession, run: Run) -> None:
    """Move ``run`` (PENDING, its version using integrations) to QUEUED and queue it,
    or to WAITING_ON_CONNECTIONS."""
    integrations = (
        await session.execute(
            select(JobIntegration.key, Integration)
            .join(Integration, Integration.id == JobIntegration.integration_id)
            .where(JobIntegration.version_id == run.version_id)
        )
    ).all()
    resolved: list[RunConnection] = []
    missing: list[Integration] = []
    for key, integration in integrations:
        connection_id = None
        if integration.auth_source is IntegrationAuthSource.HOSTED:
            connection_id = await _hosted_connection(session, run, integration)
            if connection_id is None:
                missing.append(integration)
                continue
        resolved.append(
            RunConnection(
                run_id=run.id,
                key=key,
                integration_id=integration.id,
                auth_source=integration.auth_source,
                connection_id=connection_id,
            )
        )
    if missing:
        check_run_transition(run.status, RunStatus.WAITING_ON_CONNECTIONS)
        run.status = RunStatus.WAITING_ON_CONNECTIONS
        for integration in missing:
            await _record_missing_connection(session, run, integration)
        await session.flush()
        return

    check_run_transition(run.status, RunStatus.QUEUED)
    session.add_all(resolved)
    run.status = RunStatus.QUEUED
    run.queued_at = datetime.now(UTC)
    await session.flush()
    await queue_execution(session, run.id)


async def _hosted_connection(
    session: AsyncSession, run: Run, integration: Integration
) -> str | None:
    query = select(IntegrationConnection.id).where(
        IntegrationConnection.integration_id == integration.id
    )
    if run.external_account_id:
        query = query.where(
            IntegrationConnection.connection_type == ConnectionType.EXTERNAL,
            IntegrationConnection.external_account_id == run.external_account_id,
        )
    else:
        query = query.where(IntegrationConnection.connection_type == ConnectionType.DEVELOPER)
    return await session.scalar(query.order_by(IntegrationConnection.created_at).limit(1))


async def _record_missing_connection(
    session: AsyncSession, run: Run, integration: Integration
) -> None:
    connection_type = (
        ConnectionType.EXTERNAL if run.external_account_id else ConnectionType.DEVELOPER
    )
    identifier = run.external_account_id or DEVELOPER
    await insert_if_absent(
        session,
        MissingConnection,
        {
            "integration_id": integration.id,
            "connection_type": connection_type,
            "external_account_id": run.external_account_id,
            "account_identifier": identifier,
        },
        key=["integration_id", "connection_type", "account_identifier"],
    )
    missing_id = await session.scalar(
        select(MissingConnection.id).where(
            MissingConnection.integration_id == integration.id,
            MissingConnection.connection_type == connection_type,
            MissingConnection.account_identifier == identifier,
        )
    )
    await session.execute(
        insert(run_missing_connections)
        .values(run_id=run.id, missing_connection_id=missing_id)
        .on_conflict_do_nothing()
    )
