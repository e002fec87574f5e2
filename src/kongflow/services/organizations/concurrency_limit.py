"""An organization's concurrency limit: how many executions of its runs may be in
flight at once (v2's ``maximumConcurrencyLimit``, 10 by default).

Each execution reads the limit as it starts, so a change holds from the next one on.
Raising it also wakes the runs waiting for a place, so that they need not wait for
the next release (or the minutely safety net) to use the new room.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Organization
from kongflow.errors import NotFound, ValidationFailed
from kongflow.services.runs.concurrency import wake_all_waiters

MAX_CONCURRENCY_LIMIT = 10_000


@dataclass(frozen=True)
class OrganizationLimit:
    slug: str
    title: str
    concurrency_limit: int


def _limit_of(organization: Organization) -> OrganizationLimit:
    return OrganizationLimit(
        organization.slug, organization.title, organization.maximum_concurrency_limit
    )


async def list_concurrency_limits(
    session: AsyncSession, *, slug: str | None = None
) -> list[OrganizationLimit]:
    """Every organization (or only ``slug``) with its limit, by slug; raises NotFound
    (``organization_not_found``) for an unknown ``slug``."""
    query = select(Organization).order_by(Organization.slug)
    if slug is not None:
        query = query.where(Organization.slug == slug)
    limits = [_limit_of(organization) for organization in await session.scalars(query)]
    if slug is not None and not limits:
        raise _not_found(slug)
    return limits


def _not_found(slug: str | None) -> NotFound:
    return NotFound(f"No organization {slug!r}.", code="organization_not_found")


async def set_concurrency_limit(
    session: AsyncSession, limit: int, *, slug: str | None = None
) -> OrganizationLimit:
    """Set organization ``slug``'s limit to ``limit`` (``slug`` may be left out when
    there is only one organization).

    Raises ValidationFailed (``invalid_concurrency_limit``, ``organization_required``)
    and NotFound (``organization_not_found``).
    """
    if not 1 <= limit <= MAX_CONCURRENCY_LIMIT:
        raise ValidationFailed(
            f"The concurrency limit must be between 1 and {MAX_CONCURRENCY_LIMIT}; got {limit}.",
            code="invalid_concurrency_limit",
        )
    query = select(Organization).with_for_update()
    if slug is not None:
        query = query.where(Organization.slug == slug)
    organizations = list(await session.scalars(query.limit(2)))
    if not organizations:
        raise _not_found(slug)
    if len(organizations) > 1:
        raise ValidationFailed(
            "There are several organizations: name the one to change.",
            code="organization_required",
        )
    [organization] = organizations
    raised = limit > organization.maximum_concurrency_limit
    organization.maximum_concurrency_limit = limit
    await session.flush()
    if raised:
        await wake_all_waiters(session)
    return _limit_of(organization)
