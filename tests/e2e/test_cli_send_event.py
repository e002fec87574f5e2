"""`kongflow send-event` records an event and starts the jobs listening to it."""

import json

from sqlalchemy import select

from kongflow.db.orm import Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from kongflow.domain.protocol.index import parse_job
from kongflow.services.jobs.register_job import register_job
from tests.support.cli import kongflow
from tests.support.jobs import job_metadata, make_endpoint
from tests.support.tenancy import EnvironmentKeys


async def test_send_event_starts_matching_runs(
    db: Database, database_url: str, environments: dict[str, EnvironmentKeys]
) -> None:
    endpoint = await make_endpoint(db, "dev")
    async with db.transaction() as session:
        await register_job(session, endpoint, parse_job(job_metadata()))

    sent = kongflow(
        database_url, "send-event", "order.created", "--payload", '{"status": "paid"}', "--id", "e1"
    )
    assert sent.returncode == 0, sent.stderr
    body = json.loads(sent.stdout)
    assert body["id"] == "e1" and body["payload"] == {"status": "paid"}
    async with db.transaction() as session:
        runs = list(await session.scalars(select(Run)))
    assert [run.id for run in runs] == body["runs"]
    assert runs[0].status is RunStatus.QUEUED

    again = kongflow(database_url, "send-event", "order.created", "--id", "e1")
    assert json.loads(again.stdout)["runs"] == body["runs"]  # same id: delivered once

    bad = kongflow(database_url, "send-event", "order.created", "--payload", "{nope")
    assert bad.returncode == 1 and "invalid event" in bad.stderr
