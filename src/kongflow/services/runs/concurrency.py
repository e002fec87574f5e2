"""Concurrency limits on run executions, enforced in PostgreSQL (no Redis).

An execution (one EXECUTE_JOB call) counts against up to three limits, each a key:
the organization's (``org:<id>``, default 10), the job version's numeric
``concurrencyLimit`` (``version:<id>``) and its named group (``group:<id>``). Before
calling the endpoint, the run claims an :class:`ExecutionSlot` naming its keys (as
PerformRunExecution starts it); if any key is full it records an
:class:`ExecutionWait` and does nothing more: no polling. When an execution ends it
frees its slot and queues the oldest waiting run of each freed key, which then
tries again.

Claims and releases of one key are serialised with a transaction-scoped advisory
lock on the key, so a waiter is never missed: either the releaser sees the wait
row, or the claimer sees the freed slot. Each is one SQL function call (migrations
0004 and 0006): a claim is a transaction of its own, and a release is the last
statement of the transaction that records the execution's outcome (its locks end
with that commit, and the woken runs are queued in it) or, for a plain SUCCESS,
part of the one statement that finishes the run (``finish_run.finish_execution``),
so that its lock is held only while the server runs that statement. A slot of a
worker that died stops counting after ``STALE_AFTER`` (longer than any execution).
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import (
    ExecutionWait,
    JobVersion,
    Organization,
    Run,
)
from kongflow.db.raw import Work, driver_connection
from kongflow.services.runs.queue_execution import queue_execution

STALE_AFTER = timedelta(minutes=20)

_RELEASE = "SELECT kongflow_release_execution_slot($1)"
_FORGET_WAITS = "DELETE FROM execution_waits WHERE run_id = ANY($1::varchar[])"


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int


def limits_of(
    run: Run, version: JobVersion, organization: Organization, *, group_limit: int | None
) -> list[Limit]:
    """The limits an execution of ``run`` counts against, sorted by key
    (``group_limit``: that of the version's concurrency group, if it has one)."""
    limits = [Limit(f"org:{run.organization_id}", organization.maximum_concurrency_limit)]
    if version.concurrency_limit_group_id and group_limit:
        limits.append(Limit(f"group:{version.concurrency_limit_group_id}", group_limit))
    if version.concurrency_limit:
        limits.append(Limit(f"version:{version.id}", version.concurrency_limit))
    return sorted(limits, key=lambda limit: limit.key)


async def release_slot(work: Work, run_id: str) -> list[str]:
    """Free ``run_id``'s slot and queue the oldest waiter of each freed key, in the
    caller's transaction; returns the ids of the runs woken.

    Call it last before committing: the freed keys stay locked until the commit, so
    that a concurrent claim sees either the slot or the wait, never neither.
    """
    connection = await driver_connection(work)
    woken: list[str] = list(await connection.fetchval(_RELEASE, run_id) or [])
    await wake(connection, woken)
    return woken


async def wake(work: Work, run_ids: list[str]) -> None:
    """Drop these runs' waits and queue each to try its claim again (the runs a
    release returned)."""
    if not run_ids:
        return
    connection = await driver_connection(work)
    await connection.execute(_FORGET_WAITS, run_ids)
    for run_id in run_ids:
        await queue_execution(connection, run_id, resume=True)


async def wake_all_waiters(session: AsyncSession, *, limit: int = 1000) -> int:
    """Safety net run periodically: queue every waiting run to re-check its limits
    (recovers from a slot freed by expiry rather than by release)."""
    waiters = list(
        await session.scalars(
            select(ExecutionWait.run_id).order_by(ExecutionWait.since).limit(limit)
        )
    )
    await wake(session, waiters)
    return len(waiters)
