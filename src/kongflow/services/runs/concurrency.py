"""Concurrency limits on run executions, enforced in PostgreSQL (no Redis).

An execution (one EXECUTE_JOB call) counts against up to three limits, each a key:
the organization's (``org:<id>``, default 10), the job version's numeric
``concurrencyLimit`` (``version:<id>``) and its named group (``group:<id>``). Before
calling the endpoint, the run claims an :class:`ExecutionSlot` naming its keys; if
any key is full it records an :class:`ExecutionWait` and does nothing more: no
polling. When an execution ends it frees its slot and queues the oldest waiting run
of each freed key, which then tries again.

Claims and releases of one key are serialised with a transaction-scoped advisory
lock on the key, held until commit, so a waiter is never missed: either the
releaser sees the wait row, or the claimer sees the freed slot. A slot of a worker
that died stops counting after ``STALE_AFTER`` (longer than any execution).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    ConcurrencyLimitGroup,
    ExecutionSlot,
    ExecutionWait,
    JobVersion,
    Organization,
    Run,
)
from kongflow.services.runs.queue_execution import queue_execution

STALE_AFTER = timedelta(minutes=20)


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int


async def limits_of(
    session: AsyncSession, run: Run, version: JobVersion, organization: Organization
) -> list[Limit]:
    """The limits an execution of ``run`` counts against, sorted by key."""
    limits = [Limit(f"org:{run.organization_id}", organization.maximum_concurrency_limit)]
    if version.concurrency_limit_group_id:
        group_limit = await session.scalar(
            select(ConcurrencyLimitGroup.concurrency_limit).where(
                ConcurrencyLimitGroup.id == version.concurrency_limit_group_id
            )
        )
        if group_limit:
            limits.append(Limit(f"group:{version.concurrency_limit_group_id}", group_limit))
    if version.concurrency_limit:
        limits.append(Limit(f"version:{version.id}", version.concurrency_limit))
    return sorted(limits, key=lambda limit: limit.key)


async def _lock_keys(session: AsyncSession, keys: list[str]) -> None:
    for key in sorted(keys):  # one order everywhere: no deadlocks between claimers
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


async def claim_slot(session: AsyncSession, run_id: str, limits: list[Limit]) -> bool:
    """Take a place under every limit for ``run_id``; False (and a wait recorded) when
    one is full. Re-claiming by a run that already holds a slot succeeds."""
    keys = [limit.key for limit in limits]
    await _lock_keys(session, keys)
    fresh = ExecutionSlot.acquired_at > func.now() - STALE_AFTER
    for limit in limits:
        in_use = await session.scalar(
            select(func.count())
            .select_from(ExecutionSlot)
            .where(ExecutionSlot.keys.contains([limit.key]), ExecutionSlot.run_id != run_id, fresh)
        )
        if (in_use or 0) >= limit.limit:
            await session.execute(
                insert(ExecutionWait)
                .values(run_id=run_id, keys=keys)
                .on_conflict_do_update(index_elements=["run_id"], set_={"keys": keys})
            )
            return False
    await session.execute(
        insert(ExecutionSlot)
        .values(run_id=run_id, keys=keys)
        .on_conflict_do_update(
            index_elements=["run_id"], set_={"keys": keys, "acquired_at": func.now()}
        )
    )
    await session.execute(delete(ExecutionWait).where(ExecutionWait.run_id == run_id))
    return True


async def release_slot(session: AsyncSession, run_id: str) -> list[str]:
    """Free ``run_id``'s slot and queue the oldest waiter of each freed key; returns
    the ids of the runs woken."""
    keys: list[str] | None = (
        await session.execute(select(ExecutionSlot.keys).where(ExecutionSlot.run_id == run_id))
    ).scalar_one_or_none()
    if not keys:
        return []
    await _lock_keys(session, list(keys))
    await session.execute(delete(ExecutionSlot).where(ExecutionSlot.run_id == run_id))
    woken: list[str] = []
    for key in sorted(keys):
        waiter = await session.scalar(
            select(ExecutionWait.run_id)
            .where(ExecutionWait.keys.contains([key]), ExecutionWait.run_id.not_in(woken or [""]))
            .order_by(ExecutionWait.since)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if waiter is not None:
            woken.append(waiter)
    if woken:
        await session.execute(delete(ExecutionWait).where(ExecutionWait.run_id.in_(woken)))
        for waiter in woken:
            await queue_execution(session, waiter, resume=True)
    return woken


async def forget_run(session: AsyncSession, run_id: str) -> list[str]:
    """Drop a finished or cancelled run's wait and slot (waking the next waiters)."""
    await session.execute(delete(ExecutionWait).where(ExecutionWait.run_id == run_id))
    return await release_slot(session, run_id)


async def wake_all_waiters(session: AsyncSession, *, limit: int = 1000) -> int:
    """Safety net run periodically: queue every waiting run to re-check its limits
    (recovers from a slot freed by expiry rather than by release)."""
    waiters = list(
        await session.scalars(
            select(ExecutionWait.run_id).order_by(ExecutionWait.since).limit(limit)
        )
    )
    if waiters:
        await session.execute(delete(ExecutionWait).where(ExecutionWait.run_id.in_(waiters)))
        for waiter in waiters:
            await queue_execution(session, waiter, resume=True)
    return len(waiters)
