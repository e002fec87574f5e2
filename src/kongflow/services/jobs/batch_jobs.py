"""Apply one management action to many jobs, reporting each job's outcome.

Each job is handled in a savepoint: one job's failure (not found, still active
elsewhere…) is reported for that job and does not undo the others.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import KongflowError
from kongflow.services.jobs.cancel_job_runs import cancel_job_runs
from kongflow.services.jobs.delete_job import delete_job
from kongflow.services.jobs.set_job_enabled import set_job_enabled


class BatchAction(StrEnum):
    ENABLE = "enable"
    DISABLE = "disable"
    DELETE = "delete"
    CANCEL_RUNS = "cancel_runs"


@dataclass(frozen=True)
class BatchItemResult:
    """What happened to one job of a batch."""

    slug: str
    ok: bool
    detail: dict[str, Any] | None = None
    error: dict[str, str] | None = None


async def _apply(
    session: AsyncSession, scope: EnvironmentScope, action: BatchAction, slug: str
) -> dict[str, Any] | None:
    if action is BatchAction.ENABLE or action is BatchAction.DISABLE:
        version = await set_job_enabled(session, scope, slug, enabled=action is BatchAction.ENABLE)
        return {"version": version.version, "status": version.status.value}
    if action is BatchAction.DELETE:
        return {"cancelledRunIds": await delete_job(session, scope, slug)}
    runs = await cancel_job_runs(session, scope, slug)
    return runs.as_json()


async def batch_jobs(
    session: AsyncSession, scope: EnvironmentScope, action: BatchAction, slugs: list[str]
) -> list[BatchItemResult]:
    """Run ``action`` on each job of ``slugs`` (duplicates handled once, order kept)."""
    results = []
    for slug in dict.fromkeys(slugs):
        try:
            async with session.begin_nested():
                detail = await _apply(session, scope, action, slug)
        except KongflowError as exc:
            results.append(
                BatchItemResult(slug, ok=False, error={"code": exc.code, "message": exc.message})
            )
        else:
            results.append(BatchItemResult(slug, ok=True, detail=detail))
    return results
