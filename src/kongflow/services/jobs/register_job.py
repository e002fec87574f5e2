"""RegisterJob: make the database reflect one job as an endpoint declares it.

Called once per job of an endpoint index, inside a transaction of its own (one bad
job must not undo the others). Every write is an upsert on the natural key, and the
first write (the job row) locks that job until commit, so concurrent registrations
of the same job take turns and always see each other's versions.

Differences from v2, on purpose:
* ``latest`` follows semantic-version order, and the event dispatcher always points
  at the version ``latest`` names (v2 compared text and followed the most recent
  registration, so the two could disagree). A version registered for the first time
  moves ``latest`` forward only if it is the newest active one; re-registering an
  existing version never moves ``latest`` away from a rollback.
* Every registration rewrites the dispatcher completely: a removed filter is
  removed, and a job that switches from a schedule to an event trigger is no longer
  ``manual`` and its schedule stops.
* An integration whose ``authSource`` changed in code is updated to match.
"""

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    Endpoint,
    EventExample,
    Integration,
    Job,
    JobAlias,
    JobIntegration,
    JobQueue,
    JobVersion,
)
from kongflow.db.upsert import insert_if_absent, upsert, upsert_rows
from kongflow.domain.enums import (
    JobStartPosition,
    JobVersionStatus,
)
from kongflow.domain.protocol.index import (
    ConcurrencyLimitGroupRef,
    JobMetadata,
    LegacyQueue,
    StaticTrigger,
)
from kongflow.domain.versions import is_newest
from kongflow.services.integrations.find_or_create_integration import (
    find_or_create_integration,
)
from kongflow.services.jobs.disable_job import disable_job
from kongflow.services.jobs.route_triggers import route_triggers, trigger_as_json

LATEST = "latest"
DEFAULT_QUEUE_LIMIT = 10


@dataclass(frozen=True)
class JobRegistration:
    """What a registration did: the rows involved and whether ``latest`` names it."""

    job: Job
    version: JobVersion
    created_version: bool
    is_latest: bool


async def register_job(
    session: AsyncSession, endpoint: Endpoint, metadata: JobMetadata
) -> JobRegistration | None:
    """Register (or, for ``enabled: false``, disable) one job of ``endpoint``.

    Returns ``None`` when nothing was registered: a disabled job, or a deleted job
    that is not being revived.
    """
    if not metadata.enabled:
        await disable_job(
            session,
            project_id=endpoint.project_id,
            environment_id=endpoint.environment_id,
            slug=metadata.id,
            version=metadata.version,
        )
        return None

    job = await upsert(
        session,
        Job,
        {
            "slug": metadata.id,
            "title": metadata.name,
            "internal": metadata.internal,
            "organization_id": endpoint.organization_id,
            "project_id": endpoint.project_id,
            "deleted_at": None,  # an enabled registration revives a deleted job
        },
        key=["project_id", "slug"],
        update=["title", "internal", "deleted_at"],
    )
    integrations = await _integrations(session, endpoint.organization_id, metadata)
    group_id = await _concurrency_group(session, endpoint.environment_id, metadata)
    queue_id = await _legacy_queue(session, endpoint.environment_id, metadata.queue)

    existing_version_id = await session.scalar(
        select(JobVersion.id).where(
            JobVersion.job_id == job.id,
            JobVersion.version == metadata.version,
            JobVersion.environment_id == endpoint.environment_id,
        )
    )
    static = metadata.trigger if isinstance(metadata.trigger, StaticTrigger) else None
    version = await upsert(
        session,
        JobVersion,
        {
            "version": metadata.version,
            "job_id": job.id,
            "environment_id": endpoint.environment_id,
            "organization_id": endpoint.organization_id,
            "project_id": endpoint.project_id,
            "endpoint_id": endpoint.id,
            "event_specification": metadata.event.model_dump(
                mode="json", by_alias=True, exclude={"examples"}, exclude_none=True
            ),
            "trigger": trigger_as_json(metadata.trigger),
            "properties": static.properties if static else None,
            "trigger_link": static.link if static else None,
            "trigger_help": static.help if static else None,
            "start_position": JobStartPosition.LATEST,
            "preprocess_runs": metadata.preprocess_runs,
            "concurrency_limit": (
                metadata.concurrency_limit if isinstance(metadata.concurrency_limit, int) else None
            ),
            "concurrency_limit_group_id": group_id,
            "queue_id": queue_id,
            "status": JobVersionStatus.ACTIVE,
        },
        key=["job_id", "version", "environment_id"],
        update=[
            "endpoint_id",
            "event_specification",
            "trigger",
            "properties",
            "trigger_link",
            "trigger_help",
            "start_position",
            "preprocess_runs",
            "concurrency_limit",
            "concurrency_limit_group_id",
            "queue_id",
            "status",
        ],
    )
    created = existing_version_id is None
    await _sync_examples(session, version, metadata, prune=not created)
    await _sync_job_integrations(session, job, version, integrations, prune=not created)

    is_latest = await _update_latest_alias(session, job, version, created=created)
    if is_latest:
        await route_triggers(session, job.id, version.id, version.environment_id, metadata.trigger)
    return JobRegistration(job=job, version=version, created_version=created, is_latest=is_latest)


async def _integrations(
    session: AsyncSession, organization_id: str, metadata: JobMetadata
) -> dict[str, Integration]:
    """Find or create the organization's integration for each key the job uses."""
    by_config_id: dict[str, Integration] = {}
    configs = {config.id: config for config in metadata.integrations.values()}
    for config_id in sorted(configs):  # a fixed order keeps concurrent writers deadlock-free
        by_config_id[config_id] = await find_or_create_integration(
            session, organization_id, configs[config_id]
        )
    return {key: by_config_id[config.id] for key, config in metadata.integrations.items()}


async def _concurrency_group(
    session: AsyncSession, environment_id: str, metadata: JobMetadata
) -> str | None:
    """The named limit group the job's executions count against, if any.

    A legacy ``queue: {name, maxConcurrent}`` is the same idea under an older name,
    so it becomes a group too (an explicit ``concurrencyLimit`` wins).
    """
    group: ConcurrencyLimitGroupRef | None = None
    if isinstance(metadata.concurrency_limit, ConcurrencyLimitGroupRef):
        group = metadata.concurrency_limit
    elif (
        metadata.concurrency_limit is None
        and isinstance(metadata.queue, LegacyQueue)
        and metadata.queue.max_concurrent is not None
    ):
        group = ConcurrencyLimitGroupRef(
            id=metadata.queue.name, limit=metadata.queue.max_concurrent
        )
    if group is None:
        return None
    # Many jobs share a group: read first and write only on change, so that
    # concurrent registrations do not queue up behind a lock on the group's row.
    query = select(ConcurrencyLimitGroup).where(
        ConcurrencyLimitGroup.environment_id == environment_id,
        ConcurrencyLimitGroup.name == group.id,
    )
    row = await session.scalar(query)
    if row is None:
        await insert_if_absent(
            session,
            ConcurrencyLimitGroup,
            {"environment_id": environment_id, "name": group.id, "concurrency_limit": group.limit},
            key=["environment_id", "name"],
        )
        row = (await session.scalars(query)).one()
    if row.concurrency_limit != group.limit:
        row.concurrency_limit = group.limit
        await session.flush()
    return row.id


async def _legacy_queue(
    session: AsyncSession, environment_id: str, queue: str | LegacyQueue | None
) -> str | None:
    """Record a job's legacy ``queue`` option (kept for display and parity with v2)."""
    if queue is None:
        return None
    name = queue if isinstance(queue, str) else queue.name
    limit = queue.max_concurrent if isinstance(queue, LegacyQueue) else None
    row = await upsert(
        session,
        JobQueue,
        {"environment_id": environment_id, "name": name, "max_jobs": limit or DEFAULT_QUEUE_LIMIT},
        key=["environment_id", "name"],
        update=["max_jobs"],
    )
    return row.id


async def _sync_examples(
    session: AsyncSession, version: JobVersion, metadata: JobMetadata, *, prune: bool
) -> None:
    """Make the version's examples exactly the ones the job declares now (``prune``
    removes the ones it no longer declares; a new version has none to remove)."""
    examples = {example.id: example for example in metadata.event.examples}  # last one wins
    await upsert_rows(
        session,
        EventExample,
        [
            {
                "slug": example.id,
                "job_version_id": version.id,
                "name": example.name,
                "icon": example.icon,
                "payload": example.payload,
            }
            for example in examples.values()
        ],
        key=["slug", "job_version_id"],
        update=["name", "icon", "payload"],
    )
    if prune:
        await session.execute(
            delete(EventExample).where(
                EventExample.job_version_id == version.id, EventExample.slug.not_in(list(examples))
            )
        )


async def _sync_job_integrations(
    session: AsyncSession,
    job: Job,
    version: JobVersion,
    integrations: dict[str, Integration],
    *,
    prune: bool,
) -> None:
    """Make the version's integration keys exactly the ones the job declares now."""
    await upsert_rows(
        session,
        JobIntegration,
        [
            {
                "key": key,
                "version_id": version.id,
                "job_id": job.id,
                "integration_id": integration.id,
            }
            for key, integration in integrations.items()
        ],
        key=["version_id", "key"],
        update=["integration_id"],
    )
    if prune:
        await session.execute(
            delete(JobIntegration).where(
                JobIntegration.version_id == version.id,
                JobIntegration.key.not_in(list(integrations)),
            )
        )


async def _update_latest_alias(
    session: AsyncSession, job: Job, version: JobVersion, *, created: bool
) -> bool:
    """Decide whether ``latest`` should name ``version`` now, and make it so."""
    alias = await session.scalar(
        select(JobAlias).where(
            JobAlias.job_id == job.id,
            JobAlias.environment_id == version.environment_id,
            JobAlias.name == LATEST,
        )
    )
    if alias is not None and alias.version_id == version.id:
        return True
    if alias is not None:
        current_status = await session.scalar(
            select(JobVersion.status).where(JobVersion.id == alias.version_id)
        )
        if current_status is JobVersionStatus.ACTIVE:
            others = await session.scalars(
                select(JobVersion.version).where(
                    JobVersion.job_id == job.id,
                    JobVersion.environment_id == version.environment_id,
                    JobVersion.status == JobVersionStatus.ACTIVE,
                    JobVersion.id != version.id,
                )
            )
            if not (created and is_newest(version.version, list(others))):
                return False
    await point_latest_at(session, job.id, version)
    return True


async def point_latest_at(session: AsyncSession, job_id: str, version: JobVersion) -> None:
    """Set the ``latest`` alias of ``job_id`` in the version's environment."""
    await upsert_rows(
        session,
        JobAlias,
        [
            {
                "job_id": job_id,
                "environment_id": version.environment_id,
                "name": LATEST,
                "version_id": version.id,
                "value": version.version,
            }
        ],
        key=["job_id", "environment_id", "name"],
        update=["version_id", "value"],
    )
