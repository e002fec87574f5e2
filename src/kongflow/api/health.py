"""``GET /healthz``: 200 only when the database answers, so load balancers and
`make run` users can tell a live server from a half-started one."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from kongflow.api.deps import DatabaseDep

router = APIRouter()

DATABASE_TIMEOUT_SECONDS = 2.0


@router.get("/healthz", tags=["health"])
async def healthz(database: DatabaseDep) -> JSONResponse:
    """Report whether this server can reach its database."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS), database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to answer means "not healthy"
        return JSONResponse(
            {"status": "unavailable", "reason": type(exc).__name__}, status_code=503
        )
    return JSONResponse({"status": "ok"})
