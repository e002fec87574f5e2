"""RegisterSource: record an external source an endpoint declares in its index.

A source is a webhook subscription the customer's integration code manages (for
example a GitHub repository webhook). Indexing records it, with a fresh webhook
secret (encrypted at rest) and the option values it should subscribe to; options
no longer declared are removed. Activation, which asks the customer's internal
registration job to create the remote webhook, happens when the source's
registration event is delivered.
"""

import secrets

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Endpoint, Job, JobVersion, TriggerSource, TriggerSourceOption
from kongflow.db.upsert import insert_if_absent, upsert
from kongflow.domain.enums import TriggerChannel
from kongflow.domain.protocol.index import JobRef, SourceMetadataV1, SourceMetadataV2
from kongflow.services.integrations.find_or_create_integration import (
    find_or_create_integration,
)
from kongflow.services.secrets.secret_store import (
    ensure_secret_reference,
    get_secret,
    put_secret,
)


async def find_job_version_id(
    session: AsyncSession, endpoint: Endpoint, job: JobRef | None
) -> str | None:
    """The id of ``job`` (slug and version) in the endpoint's environment, if registered."""
    if job is None:
        return None
    return await session.scalar(
        select(JobVersion.id)
        .join(Job, Job.id == JobVersion.job_id)
        .where(
            Job.project_id == endpoint.project_id,
            Job.slug == job.id,
            JobVersion.version == job.version,
            JobVersion.environment_id == endpoint.environment_id,
        )
    )


async def register_source(
    session: AsyncSession,
    key: InstanceKey,
    endpoint: Endpoint,
    source: SourceMetadataV1 | SourceMetadataV2,
) -> TriggerSource:
    """Upsert the source ``source.key`` of the endpoint's environment and its options."""
    integration = await find_or_create_integration(
        session, endpoint.organization_id, source.integration
    )
    reference = await ensure_secret_reference(session, f"{endpoint.id}:{source.key}")
    registration_job_id = await find_job_version_id(session, endpoint, source.register_source_job)
    row = await upsert(
        session,
        TriggerSource,
        {
            "key": source.key,
            "environment_id": endpoint.environment_id,
            "organization_id": endpoint.organization_id,
            "project_id": endpoint.project_id,
            "endpoint_id": endpoint.id,
            "integration_id": integration.id,
            "secret_reference_id": reference.id,
            "version": source.version,
            "params": source.params,
            "channel": TriggerChannel(source.channel),
            "source_registration_job_id": registration_job_id,
        },
        key=["key", "environment_id"],
        update=["version", "endpoint_id", "integration_id", "source_registration_job_id"],
    )
    if row.channel is TriggerChannel.HTTP and await get_secret(session, key, reference.key) is None:
        await put_secret(session, key, reference.key, {"secret": secrets.token_hex(32)})

    desired = source.options if isinstance(source, SourceMetadataV2) else {"event": source.events}
    wanted = {(name, value) for name, values in desired.items() for value in values}
    for name, value in sorted(wanted):
        await insert_if_absent(
            session,
            TriggerSourceOption,
            {"name": name, "value": value, "source_id": row.id},
            key=["name", "value", "source_id"],
        )
    existing = await session.execute(
        select(TriggerSourceOption.id, TriggerSourceOption.name, TriggerSourceOption.value).where(
            TriggerSourceOption.source_id == row.id
        )
    )
    orphaned = [option_id for option_id, name, value in existing if (name, value) not in wanted]
    if orphaned:
        await session.execute(
            delete(TriggerSourceOption).where(TriggerSourceOption.id.in_(orphaned))
        )
    return row
