"""Fixtures of the SDK-facing API tests: the dev environment's credentials, and an
endpoint with a run in it that is executing (modules may define their own)."""

import pytest

from kongflow.db.orm import Endpoint, Run
from kongflow.db.session import Database
from kongflow.domain.enums import RunStatus
from tests.support.jobs import make_endpoint
from tests.support.runs import make_run
from tests.support.tenancy import EnvironmentKeys


@pytest.fixture
def dev(environments: dict[str, EnvironmentKeys]) -> dict[str, str]:
    return {"Authorization": f"Bearer {environments['dev'].api_key}"}


@pytest.fixture
async def endpoint(db: Database, environments: dict[str, EnvironmentKeys]) -> Endpoint:
    return await make_endpoint(db, "dev")


@pytest.fixture
async def run(db: Database, endpoint: Endpoint) -> Run:
    return await make_run(db, endpoint, status=RunStatus.EXECUTING)
