"""`kongflow endpoints add/list/index` against the official Node SDK endpoint."""

import json
from pathlib import Path

import pytest

from kongflow.db.session import Database
from tests.compat.node_endpoint import run_node_endpoint
from tests.support.cli import kongflow
from tests.support.tenancy import EnvironmentKeys

pytestmark = pytest.mark.compat


async def test_endpoints_add_list_and_index(
    node_project: Path,
    db: Database,
    database_url: str,
    environments: dict[str, EnvironmentKeys],
) -> None:
    key = environments["dev"].api_key
    with run_node_endpoint("http://127.0.0.1:9", key, endpoint_id="cli-app") as node:
        added = kongflow(
            database_url, "endpoints", "add", "--env", "dev", "--id", "cli-app", "--url", node.url
        )
        assert added.returncode == 0, added.stderr
        assert "10 jobs registered, 1 disabled, 0 failed" in added.stdout

        listed = kongflow(database_url, "endpoints", "list", "--env", "dev", "--json")
        assert listed.returncode == 0, listed.stderr
        [endpoint] = json.loads(listed.stdout)
        assert endpoint["id"] == "cli-app" and endpoint["url"] == node.url
        assert endpoint["lastIndexStatus"] == "SUCCESS" and endpoint["activeJobs"] == 10

        reindexed = kongflow(database_url, "endpoints", "index", "--env", "dev", "--id", "cli-app")
        assert reindexed.returncode == 0, reindexed.stderr

        wrong = kongflow(
            database_url, "endpoints", "add", "--env", "dev", "--id", "other", "--url", node.url
        )
        assert wrong.returncode == 1
        assert "Endpoint ID mismatch" in wrong.stderr
    missing = kongflow(database_url, "endpoints", "index", "--env", "dev", "--id", "nope")
    assert missing.returncode == 1 and "No endpoint 'nope'" in missing.stderr
