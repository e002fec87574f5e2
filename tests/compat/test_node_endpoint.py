"""The Node harness itself: talk to the official SDK endpoint directly over HTTP.

No kongflow server is involved: the SDK is pointed at a closed port (it only calls
its API while running jobs), and these tests play the server's side of the endpoint
protocol (wire-protocol §2) by hand. The index check feeds the SDK's real answer to
kongflow's own parser.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kongflow.domain.protocol.index import (
    ConcurrencyLimitGroupRef,
    CronSchedule,
    IndexEndpointResponse,
    IntervalSchedule,
    InvokeTrigger,
    JobMetadata,
    ScheduledTrigger,
    StaticTrigger,
    parse_job,
)
from tests.compat.node_endpoint import NodeEndpoint, run_node_endpoint

pytestmark = pytest.mark.compat

API_KEY = "tr_dev_compat0000000000000000"
UNUSED_API_URL = "http://127.0.0.1:9"  # discard port: nothing answers there
SERVER_VERSION = "2023-09-29"
SDK_VERSION = "2.3.19"

JOB_IDS = {
    "event-filter",
    "three-tasks",
    "cron-job",
    "interval-job",
    "invoke-job",
    "disabled-job",
    "send-event-job",
    "slow-job",
    "wait-for-event-job",
    "digest-job",
    "subscribe-digest-job",
}


@pytest.fixture(scope="module")
def endpoint(node_project: Path) -> Iterator[NodeEndpoint]:
    with run_node_endpoint(UNUSED_API_URL, API_KEY, project=node_project) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


def action(
    client: httpx.Client,
    endpoint: NodeEndpoint,
    name: str,
    *,
    api_key: str | None = API_KEY,
    **extra_headers: str,
) -> httpx.Response:
    """POST one endpoint action with the headers the hosted server sends."""
    headers = {
        "user-agent": "triggerdotdev-server/2.0.0",
        "x-trigger-version": SERVER_VERSION,
        "x-trigger-action": name,
        **extra_headers,
    }
    if api_key is not None:
        headers["x-trigger-api-key"] = api_key
    return client.post(endpoint.url, headers=headers)


def test_ping_with_matching_endpoint_id(client: httpx.Client, endpoint: NodeEndpoint) -> None:
    response = action(client, endpoint, "PING", **{"x-trigger-endpoint-id": endpoint.endpoint_id})

    assert response.status_code == 200, endpoint.output()
    assert response.json() == {"ok": True}
    assert response.headers["trigger-version"] == SERVER_VERSION
    assert response.headers["trigger-sdk-version"] == SDK_VERSION


def test_ping_with_other_endpoint_id(client: httpx.Client, endpoint: NodeEndpoint) -> None:
    response = action(client, endpoint, "PING", **{"x-trigger-endpoint-id": "someone-else"})

    assert response.status_code == 200
    assert response.json() == {
        "ok": False,
        "error": "Endpoint ID mismatch error. Expected compat-app, got someone-else",
    }


def test_wrong_api_key_is_rejected(client: httpx.Client, endpoint: NodeEndpoint) -> None:
    response = action(
        client,
        endpoint,
        "PING",
        api_key="tr_dev_wrong000000000000000000",
        **{"x-trigger-endpoint-id": endpoint.endpoint_id},
    )

    assert response.status_code == 401
    assert response.json()["message"].startswith("Forbidden: client apiKey mismatch")
    assert response.headers["trigger-sdk-version"] == SDK_VERSION


def test_missing_api_key_is_rejected(client: httpx.Client, endpoint: NodeEndpoint) -> None:
    response = action(client, endpoint, "VALIDATE", api_key=None)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized: missing x-trigger-api-key header"}


def test_validate_reports_endpoint_id(client: httpx.Client, endpoint: NodeEndpoint) -> None:
    response = action(client, endpoint, "VALIDATE")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "endpointId": "compat-app"}


def test_head_is_answered_by_the_adapter(client: httpx.Client, endpoint: NodeEndpoint) -> None:
    response = client.head(endpoint.url)

    assert response.status_code == 200


@pytest.fixture(scope="module")
def index_body(client: httpx.Client, endpoint: NodeEndpoint) -> dict[str, Any]:
    response = action(client, endpoint, "INDEX_ENDPOINT", accept="application/json")
    assert response.status_code == 200, endpoint.output()
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def jobs(index_body: dict[str, Any]) -> dict[str, JobMetadata]:
    envelope = IndexEndpointResponse.model_validate(index_body)
    parsed = [parse_job(raw) for raw in envelope.jobs]
    return {job.id: job for job in parsed}


def test_index_lists_every_job_and_nothing_else(
    index_body: dict[str, Any], jobs: dict[str, JobMetadata]
) -> None:
    assert {raw["id"] for raw in index_body["jobs"]} == JOB_IDS
    assert set(jobs) == JOB_IDS
    for key in ("sources", "webhooks", "dynamicTriggers", "httpEndpoints"):
        assert index_body[key] == [], key
    assert index_body["dynamicSchedules"] == [
        {"id": "digest", "jobs": [{"id": "digest-job", "version": "1.0.0"}]}
    ]
    for job in jobs.values():
        assert job.start_position == "latest"
        assert not job.internal
        assert not job.preprocess_runs
        assert job.integrations == {}


def static_trigger(job: JobMetadata) -> StaticTrigger:
    assert isinstance(job.trigger, StaticTrigger), job.trigger
    return job.trigger


def test_event_filter_job(jobs: dict[str, JobMetadata]) -> None:
    job = jobs["event-filter"]
    trigger = static_trigger(job)

    assert job.version == "1.0.0"
    assert job.enabled
    assert trigger.rule.event_names == ["order.created"]
    assert trigger.rule.source == "trigger.dev"
    assert trigger.rule.payload == {"status": ["paid"], "amount": [{"$gt": 100}]}
    assert job.event.first_name == "order.created"
    assert [(e.id, e.name, e.payload) for e in job.event.examples] == [
        ("paid", "Paid order", {"status": "paid", "amount": 250})
    ]
    assert job.concurrency_limit is None


@pytest.mark.parametrize(
    ("job_id", "event_name", "version", "enabled"),
    [
        ("three-tasks", "tasks.run", "1.0.0", True),
        ("send-event-job", "send.event", "1.0.0", True),
        ("wait-for-event-job", "approval.requested", "1.0.0", True),
        ("disabled-job", "never.happens", "0.0.1", False),
    ],
)
def test_plain_event_jobs(
    jobs: dict[str, JobMetadata], job_id: str, event_name: str, version: str, enabled: bool
) -> None:
    job = jobs[job_id]
    trigger = static_trigger(job)

    assert job.version == version
    assert job.enabled is enabled
    assert trigger.rule.event_names == [event_name]
    assert trigger.rule.source == "trigger.dev"
    assert trigger.rule.payload == {}
    assert job.concurrency_limit is None


def test_cron_job(jobs: dict[str, JobMetadata]) -> None:
    job = jobs["cron-job"]

    assert isinstance(job.trigger, ScheduledTrigger)
    assert isinstance(job.trigger.schedule, CronSchedule)
    assert job.trigger.schedule.options.cron == "0 4 1 1 *"
    assert job.event.first_name == "trigger.scheduled"
    assert job.concurrency_limit == ConcurrencyLimitGroupRef(id="shared-limit", limit=2)
    assert job.enabled


def test_interval_job(jobs: dict[str, JobMetadata]) -> None:
    job = jobs["interval-job"]

    assert isinstance(job.trigger, ScheduledTrigger)
    assert isinstance(job.trigger.schedule, IntervalSchedule)
    assert job.trigger.schedule.options.seconds == 300
    assert job.event.first_name == "trigger.scheduled"
    assert job.concurrency_limit is None


def test_invoke_job(jobs: dict[str, JobMetadata]) -> None:
    job = jobs["invoke-job"]

    assert isinstance(job.trigger, InvokeTrigger)
    assert job.event.first_name == "invoke"
    assert job.enabled


def test_endpoint_id_is_configurable_and_process_is_stopped(node_project: Path) -> None:
    with (
        run_node_endpoint(UNUSED_API_URL, API_KEY, "other-app", project=node_project) as running,
        httpx.Client(timeout=30) as http,
    ):
        response = action(http, running, "VALIDATE")
        assert response.json() == {"ok": True, "endpointId": "other-app"}
        assert running.process.poll() is None

    assert running.process.poll() is not None
    assert not running.log_path.exists()


def test_endpoint_exits_when_its_stdin_closes(node_project: Path) -> None:
    """The watchdog that stops an endpoint whose Python parent died without cleanup."""
    with run_node_endpoint(UNUSED_API_URL, API_KEY, project=node_project) as running:
        assert running.process.stdin is not None
        running.process.stdin.close()
        assert running.process.wait(timeout=10) == 0
