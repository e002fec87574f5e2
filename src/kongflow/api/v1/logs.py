"""``POST /api/v1/runs/{runId}/logs``: a line from a run, written to the server log.

``{"level": "DEBUG"|"INFO"|"WARN"|"ERROR"|"LOG", "message", "data"?}`` is logged with
the standard ``logging`` module (``LOG`` at INFO, ``WARN`` at WARNING) and echoed
back. Nothing is stored: the SDK's ``io.logger`` keeps its lines as tasks. The run
must belong to the caller's environment (v2 did not check).
"""

import json
import logging
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from kongflow.api.deps import EnvironmentDep, SessionDep
from kongflow.domain.protocol.base import WireModel
from kongflow.services.runs.find_run import find_run

logger = logging.getLogger(__name__)

LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR", "LOG"]

_LEVELS: dict[str, int] = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "LOG": logging.INFO,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
}

router = APIRouter(prefix="/api/v1", tags=["logs"])


class RunLog(WireModel):
    level: LogLevel
    message: str = Field(max_length=100_000)
    data: Any = None


@router.post("/runs/{run_id}/logs")
async def write_run_log(
    run_id: str, body: RunLog, environment: EnvironmentDep, session: SessionDep
) -> dict[str, Any]:
    """Log ``message`` (and ``data``) for the run at ``level``; answer with the log."""
    async with session.begin():
        run = await find_run(session, environment, run_id)
    if "data" in body.model_fields_set:
        logger.log(
            _LEVELS[body.level], "run %s: %s %s", run.id, body.message, json.dumps(body.data)
        )
    else:
        logger.log(_LEVELS[body.level], "run %s: %s", run.id, body.message)
    return body.model_dump(by_alias=True, exclude_unset=True)
