"""Recover work from workers that died: a killed process must not lose a run.

A worker records a heartbeat every few seconds. A job still marked "doing" by a
worker whose heartbeat stopped is put back in the queue; the services behind every
job are written to be run again safely (a run found EXECUTING is executed again,
and the SDK replays its completed tasks instead of repeating them).
"""

import logging

import procrastinate

logger = logging.getLogger(__name__)

HEARTBEATS_BEFORE_STALLED = 3


async def recover_stalled_jobs(app: procrastinate.App, *, heartbeat_seconds: float) -> int:
    """Re-queue jobs held by workers silent for three heartbeats; returns how many."""
    stalled = list(
        await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=heartbeat_seconds * HEARTBEATS_BEFORE_STALLED
        )
    )
    for job in stalled:
        logger.warning("re-queueing job %s (%s) of a dead worker", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)
