"""ListJobRuns: the runs of one job in the caller's environment, newest first
(``getRuns``).

Pages follow ``(created_at, id)`` descending, which the
``ix_runs_job_environment_created_at`` index serves. The cursor is the id of the
first run of the next page (v2's convention); one that names no run of this job in
this environment is ``invalid_cursor``.
"""

from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from kongflow.db.orm import Run
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.services.jobs.find_job import find_job
from kongflow.services.runs.get_run import invalid_cursor

DEFAULT_RUN_PAGE_SIZE = 20
MAX_RUN_PAGE_SIZE = 50


@dataclass(frozen=True)
class JobRunsPage:
    """One page of a job's runs and the cursor of the next page, if there is one."""

    runs: list[Run]
    next_cursor: str | None


async def list_job_runs(
    session: AsyncSession,
    scope: EnvironmentScope,
    slug: str,
    *,
    take: int = DEFAULT_RUN_PAGE_SIZE,
    cursor: str | None = None,
) -> JobRunsPage:
    """Up to ``take`` (at most 50) runs of job ``slug`` in ``scope``'s environment,
    newest first, from ``cursor`` on. NotFound (``job_not_found``) when the
    environment has no such job; InvalidRequest (``invalid_cursor``) for a bad cursor."""
    scoped = await find_job(session, scope, slug, include_deleted=True)
    take = max(1, min(take, MAX_RUN_PAGE_SIZE))
    mine = (Run.job_id == scoped.job.id, Run.environment_id == scope.id)
    query = (
        select(Run)
        .where(*mine)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(take + 1)
        .options(
            load_only(
                Run.id,
                Run.status,
                Run.created_at,
                Run.started_at,
                Run.updated_at,
                Run.completed_at,
                raiseload=True,
            )
        )
    )
    if cursor is not None:
        anchor = None
        if "\x00" not in cursor:  # no id holds one, and PostgreSQL refuses it in a query
            anchor = (
                await session.execute(select(Run.created_at, Run.id).where(Run.id == cursor, *mine))
            ).one_or_none()
        if anchor is None:
            raise invalid_cursor(cursor)
        query = query.where(tuple_(Run.created_at, Run.id) <= tuple_(anchor.created_at, anchor.id))
    runs = list(await session.scalars(query))
    next_cursor = runs[take].id if len(runs) > take else None
    return JobRunsPage(runs=runs[:take], next_cursor=next_cursor)
