"""Retry delays: the SDK's calculateRetryAt port and the execution backoff."""

import dataclasses
import json
import math
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kongflow.domain.backoff import (
    MAX_EXECUTION_FAILURES,
    RetryOptions,
    calculate_retry_at,
    execution_retry_delay,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NODE_MODULES = Path(__file__).parents[2] / "compat" / "node" / "node_modules"
CORE = NODE_MODULES / "@trigger.dev" / "core"

FIXED = RetryOptions(randomize=False)


def no_random() -> float:
    raise AssertionError("random must not be called when randomize is false")


def constant(value: float) -> Callable[[], float]:
    return lambda: value


def delay_ms(
    options: RetryOptions, attempts: int, random: Callable[[], float] = no_random
) -> float:
    retry_at = calculate_retry_at(options, attempts, now=NOW, random=random)
    assert retry_at is not None
    return (retry_at - NOW) / timedelta(milliseconds=1)


# --- calculate_retry_at --------------------------------------------------------------


def test_defaults_are_the_sdks() -> None:
    options = RetryOptions()
    assert (options.limit, options.factor) == (5, 1.8)
    assert (options.min_timeout_in_ms, options.max_timeout_in_ms) == (1000, 60_000)
    assert options.randomize is True


def test_default_schedule_without_randomness() -> None:
    # attempts 1 and 2 both wait the minimum: the exponent is max(a - 1, 0).
    assert [delay_ms(FIXED, n) for n in (1, 2, 3, 4)] == [1000, 1000, 1800, 3240]
    assert calculate_retry_at(FIXED, 5, now=NOW, random=no_random) is None


def test_longer_schedule_rounds_and_caps_at_max() -> None:
    options = RetryOptions(limit=10, randomize=False)
    delays = [delay_ms(options, n) for n in range(1, 10)]
    assert delays == [1000, 1000, 1800, 3240, 5832, 10498, 18896, 34012, 60000]
    assert calculate_retry_at(options, 10, now=NOW, random=no_random) is None


@pytest.mark.parametrize(
    ("limit", "attempts", "retries"),
    [
        (0, 1, False),
        (1, 1, False),
        (2, 1, True),
        (2, 2, False),
        (5, 4, True),
        (5, 5, False),
        (5, 6, False),
        (2.5, 2, True),
        (2.5, 3, False),
    ],
)
def test_limit_counts_every_attempt(limit: float, attempts: int, retries: bool) -> None:
    options = RetryOptions(limit=limit, randomize=False)
    retry_at = calculate_retry_at(options, attempts, now=NOW, random=no_random)
    assert (retry_at is not None) is retries


@pytest.mark.parametrize(("drawn", "expected"), [(0.0, 1800), (0.5, 2700), (0.999, 3598)])
def test_randomize_scales_by_one_plus_the_draw(drawn: float, expected: int) -> None:
    assert delay_ms(RetryOptions(), 3, constant(drawn)) == expected


def test_randomized_delay_is_still_capped() -> None:
    options = RetryOptions(limit=20)
    assert delay_ms(options, 12, constant(0.999)) == 60_000


def test_rounding_is_javascripts_half_up() -> None:
    # 5 * 0.5 = 2.5: Math.round gives 3 where Python's round() would give 2.
    options = RetryOptions(factor=0.5, min_timeout_in_ms=5, randomize=False)
    assert delay_ms(options, 3) == 3
    # -2.5 rounds towards +infinity as well.
    negative = RetryOptions(factor=-0.5, min_timeout_in_ms=5, randomize=False)
    assert delay_ms(negative, 3) == -2


@pytest.mark.parametrize("minimum", [0, -100, 0.5])
def test_minimum_below_one_ms_counts_as_one(minimum: float) -> None:
    options = RetryOptions(min_timeout_in_ms=minimum, randomize=False)
    assert delay_ms(options, 1) == 1


def test_negative_maximum_gives_a_time_in_the_past_like_the_sdk() -> None:
    options = RetryOptions(max_timeout_in_ms=-5, randomize=False)
    assert delay_ms(options, 1) == -5


def test_fractional_maximum_is_kept() -> None:
    options = RetryOptions(max_timeout_in_ms=1500.5, limit=10, randomize=False)
    assert delay_ms(options, 5) == 1500.5


def test_huge_exponent_saturates_at_the_maximum() -> None:
    options = RetryOptions(limit=10_000, factor=1e10, randomize=False)
    assert delay_ms(options, 5_000) == 60_000


@pytest.mark.parametrize(
    "options",
    [
        RetryOptions(limit=10_000, factor=1e10, max_timeout_in_ms=1e300, randomize=False),
        RetryOptions(limit=10_000, factor=-1e10, randomize=False),
    ],
    ids=["beyond-year-9999", "minus-infinity"],
)
def test_unrepresentable_retry_time_means_no_retry(options: RetryOptions) -> None:
    # attempts 5001: the exponent is 4999, odd, so a negative factor stays negative.
    assert calculate_retry_at(options, 5_001, now=NOW, random=no_random) is None


def test_result_keeps_the_callers_timezone() -> None:
    retry_at = calculate_retry_at(FIXED, 1, now=NOW, random=no_random)
    assert retry_at == NOW + timedelta(seconds=1)
    assert retry_at is not None and retry_at.tzinfo is UTC


@given(
    limit=st.integers(min_value=0, max_value=30),
    attempts=st.integers(min_value=0, max_value=40),
    factor=st.floats(min_value=1, max_value=10),
    minimum=st.integers(min_value=-10, max_value=10**6),
    maximum=st.integers(min_value=1, max_value=10**9),
    drawn=st.floats(min_value=0, max_value=1, exclude_max=True),
    randomize=st.booleans(),
)
def test_delay_properties(
    limit: int,
    attempts: int,
    factor: float,
    minimum: int,
    maximum: int,
    drawn: float,
    randomize: bool,
) -> None:
    options = RetryOptions(limit, factor, minimum, maximum, randomize)
    retry_at = calculate_retry_at(options, attempts, now=NOW, random=constant(drawn))
    if attempts >= limit:
        assert retry_at is None
        return
    assert retry_at is not None
    delay = (retry_at - NOW) / timedelta(milliseconds=1)
    base = max(minimum, 1) * factor ** max(attempts - 2, 0)
    assert delay <= maximum
    assert delay == maximum or base - 0.5 <= delay <= (2 if randomize else 1) * base + 0.5


@given(attempts=st.integers(min_value=1, max_value=29), drawn=st.floats(0, 0.999))
def test_delay_never_shrinks_as_attempts_grow(attempts: int, drawn: float) -> None:
    options = RetryOptions(limit=31)
    assert delay_ms(options, attempts, constant(drawn)) <= delay_ms(
        options, attempts + 1, constant(drawn)
    )


# --- RetryOptions on the wire ---------------------------------------------------------


def test_from_wire_reads_camel_case() -> None:
    options = RetryOptions.from_wire(
        {"limit": 3, "factor": 2, "minTimeoutInMs": 250, "maxTimeoutInMs": 9000, "randomize": False}
    )
    assert options == RetryOptions(3, 2, 250, 9000, False)


def test_from_wire_fills_defaults_and_ignores_other_keys() -> None:
    options = RetryOptions.from_wire({"strategy": "backoff", "bodyFilter": {"x": [1]}, "limit": 8})
    assert options == dataclasses.replace(RetryOptions(), limit=8)
    assert RetryOptions.from_wire({}) == RetryOptions()


def test_to_wire_round_trips() -> None:
    options = RetryOptions(7, 1.25, 10, 500.5, False)
    wire = options.to_wire()
    assert wire == {
        "limit": 7,
        "factor": 1.25,
        "minTimeoutInMs": 10,
        "maxTimeoutInMs": 500.5,
        "randomize": False,
    }
    assert RetryOptions.from_wire(json.loads(json.dumps(wire))) == options


@pytest.mark.parametrize(
    "wire",
    [
        {"limit": None},
        {"limit": "5"},
        {"factor": True},
        {"minTimeoutInMs": [1]},
        {"maxTimeoutInMs": float("inf")},
        {"factor": float("nan")},
        {"limit": 10**400},
        {"randomize": 1},
        {"randomize": None},
    ],
)
def test_from_wire_rejects_bad_values(wire: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="retry option"):
        RetryOptions.from_wire(wire)


def test_options_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RetryOptions().limit = 1  # type: ignore[misc]


# --- execution_retry_delay -------------------------------------------------------------


def test_execution_backoff_values() -> None:
    assert execution_retry_delay(0) == timedelta(milliseconds=500)
    assert execution_retry_delay(1) == timedelta(milliseconds=750)
    assert execution_retry_delay(2) == timedelta(milliseconds=1125)
    assert execution_retry_delay(3) == timedelta(microseconds=1_687_500)
    # The last wait before the run fails at MAX_EXECUTION_FAILURES: 500 * 1.5**9 ms.
    assert execution_retry_delay(9).total_seconds() == pytest.approx(19.2216796875, abs=1e-6)


def test_execution_failure_limit_is_ten() -> None:
    assert MAX_EXECUTION_FAILURES == 10


def test_negative_failure_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="failure_count"):
        execution_retry_delay(-1)


@given(st.integers(min_value=0, max_value=40))
def test_execution_backoff_grows_by_half_each_failure(count: int) -> None:
    ratio = execution_retry_delay(count + 1) / execution_retry_delay(count)
    assert ratio == pytest.approx(1.5, rel=1e-6)


# --- the official SDK ---------------------------------------------------------------

SDK_SCRIPT = r"""
const fs = require("fs");
const [pkgDir] = process.argv.slice(1);
const { calculateRetryAt } = require(pkgDir);
const cases = JSON.parse(fs.readFileSync(0, "utf8"));
Date.now = () => 0;
const results = cases.map(({ wire, attempts, drawn }) => {
  Math.random = () => drawn;
  // The SDK passes task.attempts - 1.
  const at = calculateRetryAt(wire, attempts - 1);
  return at === undefined ? null : at.getTime();
});
process.stdout.write(JSON.stringify(results));
"""

WIRE_OPTIONS: list[dict[str, Any]] = [
    {},
    {"randomize": False},
    {"limit": 12},
    {"limit": 12, "factor": 2.5, "minTimeoutInMs": 333, "maxTimeoutInMs": 120_000},
    {"limit": 8, "factor": 0.5, "minTimeoutInMs": 5, "randomize": False},
    {"limit": 9, "factor": 1.1, "minTimeoutInMs": 0, "maxTimeoutInMs": 10},
    {"limit": 1},
    {"limit": 3.5, "factor": 3},
]


@pytest.mark.compat
def test_matches_the_sdks_calculate_retry_at() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not CORE.is_dir():
        pytest.skip(f"the official SDK is not installed at {NODE_MODULES}")
    cases: list[dict[str, Any]] = [
        {"wire": wire, "attempts": attempts, "drawn": drawn}
        for wire in WIRE_OPTIONS
        for attempts in range(0, 14)
        for drawn in (0.0, 0.123456789, 0.5, 0.999999)
    ]
    completed = subprocess.run(
        [node, "-e", SDK_SCRIPT, str(CORE)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    expected = json.loads(completed.stdout)

    ours: list[float | None] = []
    for case in cases:
        retry_at = calculate_retry_at(
            RetryOptions.from_wire(case["wire"]),
            case["attempts"],
            now=EPOCH,
            random=constant(case["drawn"]),
        )
        ours.append(None if retry_at is None else (retry_at - EPOCH) / timedelta(milliseconds=1))
    assert ours == expected
    assert any(value is None for value in expected)
    assert len({value for value in expected if value is not None}) > 20
    assert not any(isinstance(v, float) and math.isnan(v) for v in ours)
