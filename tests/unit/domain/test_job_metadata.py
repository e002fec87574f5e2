"""Per-job validation of an endpoint's index: each bad job gets a precise reason."""

from typing import Any

import pytest

from kongflow.domain.protocol.index import (
    ConcurrencyLimitGroupRef,
    CronSchedule,
    JobMetadataError,
    ScheduledTrigger,
    StaticTrigger,
    parse_job,
)
from tests.support.jobs import CRON_TRIGGER, job_metadata


def _problems(raw: Any) -> str:
    with pytest.raises(JobMetadataError) as caught:
        parse_job(raw)
    return " | ".join(caught.value.problems)


def test_a_valid_static_job_parses() -> None:
    job = parse_job(job_metadata())
    assert isinstance(job.trigger, StaticTrigger)
    assert job.trigger.rule.event_names == ["order.created"]
    assert job.event.examples[0].id == "paid"


def test_captured_shapes_parse() -> None:
    cron = parse_job(job_metadata(trigger=CRON_TRIGGER, concurrencyLimit={"id": "g", "limit": 2}))
    assert isinstance(cron.trigger, ScheduledTrigger)
    assert isinstance(cron.trigger.schedule, CronSchedule)
    assert cron.concurrency_limit == ConcurrencyLimitGroupRef(id="g", limit=2)
    assert parse_job(job_metadata(trigger={"type": "invoke"})).trigger.type == "invoke"
    assert parse_job(job_metadata(trigger={"type": "dynamic", "id": "d"})).trigger.type == "dynamic"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"id": ""}, "id"),
        ({"id": "has space"}, "id"),
        ({"id": "a/b"}, "id"),
        ({"version": ""}, "version"),
        ({"version": "   "}, "version"),
        (
            {
                "trigger": {
                    "type": "scheduled",
                    "schedule": {"type": "interval", "options": {"seconds": 30}},
                }
            },
            "seconds",
        ),
        (
            {
                "trigger": {
                    "type": "scheduled",
                    "schedule": {"type": "cron", "options": {"cron": "every day"}},
                }
            },
            "cron",
        ),
        ({"trigger": {"type": "telepathic"}}, "trigger"),
        (
            {
                "trigger": {
                    "type": "static",
                    "rule": {"event": "x", "payload": {"n": [{"$gt": "a"}]}},
                }
            },
            "invalid event filter",
        ),
        (
            {"trigger": {"type": "static", "rule": {"event": "x", "context": {"n": 5}}}},
            "invalid event filter",
        ),
        ({"concurrencyLimit": 0}, "concurrencyLimit"),
        ({"integrations": {"gh": {"id": "github"}}}, "integrations"),
    ],
)
def test_invalid_jobs_are_rejected_with_the_reason(
    overrides: dict[str, Any], expected: str
) -> None:
    assert expected in _problems(job_metadata(**overrides))


def test_a_job_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(JobMetadataError) as caught:
        parse_job(["not", "a", "job"])
    assert caught.value.job_id is None
