"""Queue the next execution of a run, or the resumption of one of its tasks.

Every job that may execute a run holds the run's procrastinate lock
(:func:`~kongflow.worker.names.run_lock`), and each run has at most one waiting
execution job: queueing again only moves that job (earlier time, higher priority),
as v2's ``job_run:EXECUTE_JOB:<id>`` job key did.
"""

from datetime import datetime

from kongflow.db.raw import Work
from kongflow.worker.defer import defer_job
from kongflow.worker.names import EXECUTE_RUN, RESUME_TASK, run_lock

INITIAL_PRIORITY = 0
RESUME_PRIORITY = 1  # procrastinate runs higher priorities first: resumed runs jump ahead


def execution_key(run_id: str) -> str:
    """The queueing key of run ``run_id``'s waiting execution: at most one waits, and
    finishing the run removes it."""
    return f"execute:{run_id}"


async def queue_execution(
    work: Work, run_id: str, *, at: datetime | None = None, resume: bool = False
) -> None:
    """Execute run ``run_id`` (again) at ``at``, or as soon as a worker is free."""
    await defer_job(
        work,
        EXECUTE_RUN,
        {"run_id": run_id},
        lock=run_lock(run_id),
        queueing_lock=execution_key(run_id),
        replace=True,
        scheduled_at=at,
        priority=RESUME_PRIORITY if resume else INITIAL_PRIORITY,
    )


async def queue_task_resume(
    work: Work, run_id: str, task_id: str, *, at: datetime | None = None
) -> None:
    """Resume task ``task_id`` (a finished wait, a due retry) at ``at``, then execute."""
    await defer_job(
        work,
        RESUME_TASK,
        {"task_id": task_id},
        lock=run_lock(run_id),
        queueing_lock=f"resume:{task_id}",
        replace=True,
        scheduled_at=at,
        priority=RESUME_PRIORITY,
    )
