"""Record the dynamic triggers and dynamic schedules an endpoint declares.

A dynamic trigger (or schedule) is declared at index time and registered with
concrete parameters at run time. Indexing records it and which of the endpoint's
jobs it starts; a dynamic schedule also gets its manual dispatcher, which each
registered schedule's ticks invoke.
"""

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    DynamicTrigger,
    Endpoint,
    EventDispatcher,
    Job,
    JobVersion,
    dynamic_trigger_jobs,
)
from kongflow.db.upsert import upsert, upsert_rows
from kongflow.domain.enums import DynamicTriggerType
from kongflow.domain.protocol.index import DynamicScheduleMetadata, DynamicTriggerMetadata
from kongflow.domain.schedules import SCHEDULED_EVENT
from kongflow.services.endpoints.register_source import find_job_version_id


async def register_dynamic_trigger(
    session: AsyncSession,
    endpoint: Endpoint,
    declared: DynamicTriggerMetadata | DynamicScheduleMetadata,
) -> DynamicTrigger:
    """Upsert the dynamic trigger or schedule ``declared.id`` of ``endpoint``."""
    schedule = isinstance(declared, DynamicScheduleMetadata)
    registration_job = (
        declared.register_source_job if isinstance(declared, DynamicTriggerMetadata) else None
    )
    trigger = await upsert(
        session,
        DynamicTrigger,
        {
            "endpoint_id": endpoint.id,
            "slug": declared.id,
            "type": DynamicTriggerType.SCHEDULE if schedule else DynamicTriggerType.EVENT,
            "source_registration_job_id": await find_job_version_id(
                session, endpoint, registration_job
            ),
        },
        key=["endpoint_id", "slug", "type"],
        update=["source_registration_job_id"],
    )
    await _link_jobs(session, endpoint, trigger, [job.id for job in declared.jobs])
    if schedule:
        await upsert_rows(
            session,
            EventDispatcher,
            [
                {
                    "dispatchable_id": trigger.id,
                    "environment_id": endpoint.environment_id,
                    "event": [SCHEDULED_EVENT],
                    "source": "trigger.dev",
                    "payload_filter": None,
                    "context_filter": None,
                    "manual": True,
                    "enabled": True,
                    "dispatchable": {"type": "DYNAMIC_TRIGGER", "id": trigger.id},
                }
            ],
            key=["dispatchable_id", "environment_id"],
            update=["event", "source", "manual", "enabled", "dispatchable"],
        )
    return trigger


async def _link_jobs(
    session: AsyncSession, endpoint: Endpoint, trigger: DynamicTrigger, slugs: list[str]
) -> None:
    """Make the trigger start exactly the listed jobs that have a version on the endpoint."""
    job_ids = list(
        await session.scalars(
            select(Job.id)
            .where(Job.project_id == endpoint.project_id, Job.slug.in_(slugs))
            .where(
                select(JobVersion.id)
                .where(JobVersion.job_id == Job.id, JobVersion.endpoint_id == endpoint.id)
                .exists()
            )
        )
    )
    await session.execute(
        delete(dynamic_trigger_jobs).where(
            dynamic_trigger_jobs.c.dynamic_trigger_id == trigger.id,
            dynamic_trigger_jobs.c.job_id.not_in(job_ids),
        )
    )
    if job_ids:
        await session.execute(
            insert(dynamic_trigger_jobs)
            .values([{"dynamic_trigger_id": trigger.id, "job_id": job_id} for job_id in job_ids])
            .on_conflict_do_nothing()
        )
