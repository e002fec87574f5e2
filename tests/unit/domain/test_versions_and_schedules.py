"""Semantic version ordering and next-tick computation."""

from datetime import UTC, datetime, timedelta

from kongflow.domain.schedules import next_tick
from kongflow.domain.versions import is_newest, version_sort_key

NOW = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)


def test_semver_order_not_text_order() -> None:
    assert sorted(["0.9.0", "0.10.0", "0.2.1"], key=version_sort_key) == [
        "0.2.1",
        "0.9.0",
        "0.10.0",
    ]
    assert is_newest("0.10.0", ["0.9.0", "0.10.0"])
    assert not is_newest("0.9.0", ["0.10.0"])


def test_prereleases_sort_before_releases_and_v_prefix_is_tolerated() -> None:
    assert is_newest("1.0.0", ["1.0.0-beta.2", "v0.9"])
    assert not is_newest("1.0.0-rc.1", ["1.0.0"])


def test_unparseable_versions_sort_below_semver() -> None:
    assert sorted(["banana", "1.0.0", "apple"], key=version_sort_key) == [
        "apple",
        "banana",
        "1.0.0",
    ]


def test_interval_skips_missed_ticks() -> None:
    schedule = {"type": "interval", "options": {"seconds": 60}}
    assert next_tick(schedule, after=NOW, now=NOW) == NOW + timedelta(seconds=60)
    stale = NOW - timedelta(minutes=10, seconds=15)
    tick = next_tick(schedule, after=stale, now=NOW)
    assert NOW <= tick < NOW + timedelta(seconds=60)
    assert (tick - stale).total_seconds() % 60 == 0


def test_cron_next_occurrence_in_utc() -> None:
    schedule = {"type": "cron", "options": {"cron": "*/5 * * * *"}}
    assert next_tick(schedule, after=NOW - timedelta(days=2), now=NOW) == datetime(
        2026, 1, 1, 12, 5, tzinfo=UTC
    )
    later = datetime(2026, 1, 1, 12, 7, tzinfo=UTC)
    assert next_tick(schedule, after=later, now=NOW) == datetime(2026, 1, 1, 12, 10, tzinfo=UTC)
