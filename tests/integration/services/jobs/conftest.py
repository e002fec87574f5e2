"""Fixtures for job services: a bootstrapped instance with one dev endpoint."""

import pytest

from kongflow.crypto import InstanceKey
from kongflow.db.orm import Endpoint
from kongflow.db.session import Database
from tests.support.jobs import make_endpoint
from tests.support.tenancy import bootstrap


@pytest.fixture
async def endpoint(db: Database, instance_key: InstanceKey) -> Endpoint:
    await bootstrap(db, instance_key)
    return await make_endpoint(db)
