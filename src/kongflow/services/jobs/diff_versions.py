"""DiffVersions: what changed in a job's declaration between two of its versions in one
environment, so a deployment can be reviewed before or after it goes live.

Compared, as each version stored them at registration:

* the event specification the SDK declared (``event.name``, ``event.source``,
  ``event.filter``, ``event.title``, ``event.icon``, ``event.schema``,
  ``event.properties``…, every key of the stored JSON);
* the trigger the SDK declared, key by key (``trigger.type``, ``trigger.rule`` with its
  event names, source and payload/context filters, ``trigger.schedule``, ``trigger.id``
  of a dynamic trigger, ``trigger.title``, ``trigger.properties``, ``trigger.link``,
  ``trigger.help``). A version registered before triggers were stored has only the
  static trigger's ``properties``, ``link`` and ``help`` (kept in columns of their
  own), compared under the same names; its other trigger keys count as absent;
* the concurrency settings (``concurrency_limit``, ``concurrency_limit_group``) and
  ``preprocess_runs``;
* the integrations by key (the integration slug each key names) and the examples by
  slug (name, icon, payload).
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    EventExample,
    Integration,
    JobIntegration,
    JobVersion,
)
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.jobs.find_job import find_job, version_not_found


@dataclass(frozen=True)
class ValueChange:
    """A field whose value differs; ``None`` stands for "absent" on either side."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class KeyedChanges:
    """Differences between two collections keyed by name (``field`` is the key)."""

    added: tuple[ValueChange, ...] = ()
    removed: tuple[ValueChange, ...] = ()
    changed: tuple[ValueChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when both collections are the same."""
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class VersionDiff:
    """How ``to_version`` differs from ``from_version``; unchanged fields are left out."""

    slug: str
    from_version: str
    to_version: str
    fields: tuple[ValueChange, ...]
    integrations: KeyedChanges
    examples: KeyedChanges

    @property
    def is_empty(self) -> bool:
        """True when the two versions declare the same job."""
        return not self.fields and self.integrations.is_empty and self.examples.is_empty


async def diff_versions(
    session: AsyncSession,
    scope: EnvironmentScope,
    slug: str,
    *,
    from_version: str,
    to_version: str,
    include_deleted: bool = False,
) -> VersionDiff:
    """Compare two versions of job ``slug`` in ``scope``'s environment (see the module
    doc for what is compared).

    Four queries: the job, both versions, their integrations, their examples. Raises
    NotFound(job_not_found) when the job is not visible in the environment and
    NotFound(version_not_found) when either version does not exist there.
    """
    job = (await find_job(session, scope, slug, include_deleted=include_deleted)).job
    rows = await session.execute(
        select(JobVersion, ConcurrencyLimitGroup.name)
        .outerjoin(
            ConcurrencyLimitGroup,
            ConcurrencyLimitGroup.id == JobVersion.concurrency_limit_group_id,
        )
        .where(
            JobVersion.job_id == job.id,
            JobVersion.environment_id == scope.id,
            JobVersion.version.in_([from_version, to_version]),
        )
    )
    found = {version.version: (version, group) for version, group in rows}
    for wanted in (from_version, to_version):
        if wanted not in found:
            raise version_not_found(slug, wanted)
    before, before_group = found[from_version]
    after, after_group = found[to_version]
    version_ids = [before.id, after.id]

    integrations: dict[str, dict[str, str]] = {version_id: {} for version_id in version_ids}
    for version_id, key, integration_slug in await session.execute(
        select(JobIntegration.version_id, JobIntegration.key, Integration.slug)
        .join(Integration, Integration.id == JobIntegration.integration_id)
        .where(JobIntegration.version_id.in_(version_ids))
    ):
        integrations[version_id][key] = integration_slug
    examples: dict[str, dict[str, Any]] = {version_id: {} for version_id in version_ids}
    for example in await session.scalars(
        select(EventExample).where(EventExample.job_version_id.in_(version_ids))
    ):
        examples[example.job_version_id][example.slug] = {
            "name": example.name,
            "icon": example.icon,
            "payload": example.payload,
        }

    return VersionDiff(
        slug=slug,
        from_version=from_version,
        to_version=to_version,
        fields=tuple(
            _changes(_declared_fields(before, before_group), _declared_fields(after, after_group))
        ),
        integrations=_keyed_changes(integrations[before.id], integrations[after.id]),
        examples=_keyed_changes(examples[before.id], examples[after.id]),
    )


def _declared_fields(version: JobVersion, group: str | None) -> dict[str, Any]:
    """The version's comparable settings as one flat mapping of field name to value."""
    trigger = version.trigger
    if trigger is None:  # registered before triggers were stored: only the static extras
        trigger = {
            "properties": version.properties,
            "link": version.trigger_link,
            "help": version.trigger_help,
        }
    fields = {f"event.{key}": value for key, value in version.event_specification.items()}
    fields.update((f"trigger.{key}", value) for key, value in trigger.items())
    fields.update(
        concurrency_limit=version.concurrency_limit,
        concurrency_limit_group=group,
        preprocess_runs=version.preprocess_runs,
    )
    return fields


def _same(before: Any, after: Any) -> bool:
    """JSON equality: unlike ``==``, ``true`` differs from ``1`` and ``1`` from ``1.0``."""
    return json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[ValueChange]:
    return [
        ValueChange(field=name, before=before.get(name), after=after.get(name))
        for name in sorted(before.keys() | after.keys())
        if not _same(before.get(name), after.get(name))
    ]


def _keyed_changes(before: dict[str, Any], after: dict[str, Any]) -> KeyedChanges:
    return KeyedChanges(
        added=tuple(ValueChange(key, None, after[key]) for key in sorted(after.keys() - before)),
        removed=tuple(ValueChange(key, before[key], None) for key in sorted(before.keys() - after)),
        changed=tuple(
            ValueChange(key, before[key], after[key])
            for key in sorted(before.keys() & after.keys())
            if not _same(before[key], after[key])
        ),
    )
