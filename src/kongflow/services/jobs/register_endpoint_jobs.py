"""Register every job an endpoint declares, each in its own transaction.

This is the one service that opens transactions itself: isolating each job is its
whole purpose (one malformed or failing job must not stop the others, a top
complaint about v2). It reports what happened to every job.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from kongflow.db.orm import Endpoint
from kongflow.db.session import Database
from kongflow.domain.protocol.index import JobMetadataError, parse_job
from kongflow.services.jobs.register_job import register_job

logger = logging.getLogger(__name__)


@dataclass
class JobFailure:
    """A job that could not be registered, and why."""

    job_id: str | None
    problems: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.job_id, "problems": self.problems}


@dataclass
class RegistrationReport:
    """Per-job outcome of registering an endpoint's jobs."""

    registered: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    failed: list[JobFailure] = field(default_factory=list)


async def register_endpoint_jobs(
    database: Database, endpoint: Endpoint, raw_jobs: list[Any]
) -> RegistrationReport:
    """Validate and register each job of ``raw_jobs`` (the index's ``jobs`` list)."""
    report = RegistrationReport()
    for raw in raw_jobs:
        try:
            metadata = parse_job(raw)
        except JobMetadataError as exc:
            report.failed.append(JobFailure(exc.job_id, exc.problems))
            continue
        try:
            async with database.transaction() as session:
                registration = await register_job(session, endpoint, metadata)
        except SQLAlchemyError as exc:
            logger.exception("registering job %s of endpoint %s failed", metadata.id, endpoint.id)
            report.failed.append(JobFailure(metadata.id, [f"database error: {type(exc).__name__}"]))
            continue
        if registration is None:
            report.disabled.append(metadata.id)
        else:
            report.registered.append(metadata.id)
    return report
