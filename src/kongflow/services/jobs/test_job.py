"""TestJob: run a job version once with a payload of the user's choosing.

As in v2, the test event bypasses dispatchers: it is recorded (``isTest``) and a run
of the chosen version is created directly. Unlike v2, a payload that breaks the
event's declared JSON schema is refused up front, with the reasons.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import EventRecord, Job, JobVersion, Run
from kongflow.domain.tenancy import EnvironmentScope
from kongflow.errors import ValidationFailed
from kongflow.services.accounts.ensure_external_account import ensure_external_account
from kongflow.services.runs.create_run import RunTarget, create_run

TEST_EVENT_SOURCE = "trigger.dev"


@dataclass(frozen=True)
class TestRun:
    """The event recorded for a test and the run created from it."""

    __test__ = False  # not a pytest test class

    event: EventRecord
    run: Run


async def test_job(
    session: AsyncSession,
    scope: EnvironmentScope,
    job: Job,
    version: JobVersion,
    *,
    payload: Any = None,
    account_id: str | None = None,
) -> TestRun:
    """Record a test event for ``version`` and create its run."""
    payload = {} if payload is None else payload
    specification = version.event_specification
    _check_payload(specification.get("schema"), payload)

    external_account_id = None
    if account_id:
        external_account_id = await ensure_external_account(session, scope, account_id)
    names = specification.get("name")
    event_name = names[0] if isinstance(names, list) and names else str(names or "test")
    event = EventRecord(
        event_id=f"test:{event_name}:{int(datetime.now(UTC).timestamp() * 1000)}",
        name=event_name,
        payload=payload,
        context={},
        source=specification.get("source") or TEST_EVENT_SOURCE,
        is_test=True,
        internal=True,
        organization_id=scope.organization_id,
        project_id=scope.project_id,
        environment_id=scope.id,
        external_account_id=external_account_id,
    )
    session.add(event)
    await session.flush()
    run_id = await create_run(session, event=event, target=RunTarget.of(job, version))
    return TestRun(event=event, run=await session.get_one(Run, run_id))


test_job.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _check_payload(schema: Any, payload: Any) -> None:
    if not isinstance(schema, dict) or not schema:
        return
    try:
        validator = Draft7Validator(schema)
        errors = sorted(validator.iter_errors(payload), key=lambda error: list(error.path))
    except SchemaError:
        return  # a schema we cannot read must not block testing
    if errors:
        raise ValidationFailed(
            "The payload does not match the job's event schema.",
            code="invalid_payload",
            details=[
                {"path": "/".join(str(part) for part in error.path), "message": error.message}
                for error in errors
            ],
        )
