"""Retry delays: the SDK's task retry formula and the platform's execution backoff.

Two unrelated callers need "how long until the next try", and both formulas are
fixed by trigger.dev v2 rather than chosen by us, so they sit side by side here:

* ``calculate_retry_at`` is the SDK's ``calculateRetryAt`` (``@trigger.dev/core``).
  The SDK uses it to decide task retries itself; the server uses the same function
  for the ``backoff`` strategy of ``fetch`` operations and fetch timeouts, where the
  user supplies the options on the wire (``RetryOptions.from_wire``). Defaults:
  limit 5, factor 1.8, minTimeoutInMs 1000, maxTimeoutInMs 60000, randomize true.
  With ``a = attempts - 1``: no retry once ``a + 1 >= limit`` (so ``limit`` counts
  all attempts); otherwise ``delay = min(max, round(r * max(min, 1) *
  factor ** max(a - 1, 0)))`` milliseconds, ``r`` uniform in ``[1, 2)`` when
  randomised and 1 otherwise. ``round`` is JavaScript's (halves go up).
* ``execution_retry_delay`` spaces the server's re-sends of EXECUTE_JOB after a
  transport error, 5xx or similar: ``500 ms * 1.5 ** failure_count``, where
  ``failure_count`` is the run's ``executionFailureCount`` after counting this
  failure. Once that count reaches ``MAX_EXECUTION_FAILURES`` the run fails instead.
  It is not user-configurable.

Pure: the caller supplies "now" and the random source.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

MAX_EXECUTION_FAILURES = 10
"""A run whose ``executionFailureCount`` reaches this value fails instead of retrying."""

_EXECUTION_BASE_DELAY_MS = 500.0
_EXECUTION_FACTOR = 1.5


@dataclass(frozen=True, slots=True)
class RetryOptions:
    """The wire ``retry`` options (``RetryOptionsSchema``), with the SDK's defaults."""

    limit: float = 5
    factor: float = 1.8
    min_timeout_in_ms: float = 1000
    max_timeout_in_ms: float = 60_000
    randomize: bool = True

    def __post_init__(self) -> None:
        for name in _NUMBER_FIELDS.values():
            try:
                finite = math.isfinite(getattr(self, name))
            except OverflowError:  # an int too large for a float
                finite = False
            if not finite:
                raise ValueError(f"retry option {name} must be a finite number")

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "RetryOptions":
        """Parse ``{limit?, factor?, minTimeoutInMs?, maxTimeoutInMs?, randomize?}``.

        Missing keys take the defaults and unknown keys (``strategy``, ``bodyFilter``
        of a fetch backoff strategy) are ignored, as the SDK's schema does. A present
        key with the wrong type (including ``null``, or a boolean for a number) raises
        ``ValueError``.
        """
        values: dict[str, Any] = {}
        for wire_name, name in _NUMBER_FIELDS.items():
            if wire_name in data:
                value = data[wire_name]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ValueError(f"retry option {wire_name} must be a number")
                values[name] = value
        if "randomize" in data:
            if not isinstance(data["randomize"], bool):
                raise ValueError("retry option randomize must be a boolean")
            values["randomize"] = data["randomize"]
        return cls(**values)

    def to_wire(self) -> dict[str, Any]:
        """The camelCase form, with every option spelled out."""
        wire: dict[str, Any] = {
            wire_name: getattr(self, name) for wire_name, name in _NUMBER_FIELDS.items()
        }
        wire["randomize"] = self.randomize
        return wire


_NUMBER_FIELDS = {
    "limit": "limit",
    "factor": "factor",
    "minTimeoutInMs": "min_timeout_in_ms",
    "maxTimeoutInMs": "max_timeout_in_ms",
}


def _js_round(x: float) -> float:
    """JavaScript's ``Math.round``: nearest integer, halves towards +infinity."""
    if not math.isfinite(x):
        return x
    floor = math.floor(x)
    return floor + 1 if x - floor >= 0.5 else floor


def _js_pow(base: float, exponent: int) -> float:
    """``Math.pow`` for an integer exponent: overflow gives an infinity, not an error."""
    try:
        return float(base) ** exponent
    except OverflowError:
        return -math.inf if base < 0 and exponent % 2 else math.inf


def calculate_retry_at(
    options: RetryOptions,
    attempts: int,
    *,
    now: datetime,
    random: Callable[[], float],
) -> datetime | None:
    """When to try again after a failure, or ``None`` when no retry is left.

    ``attempts`` is the task's attempt count so far (``ServerTask.attempts``, 1 after
    the first failure). ``random`` returns a float in ``[0, 1)`` and is only called
    when ``options.randomize``. ``None`` is also returned for a delay too far away to
    be a ``datetime`` (the SDK would produce an invalid date there).
    """
    a = attempts - 1
    if a + 1 >= options.limit:
        return None
    r = random() + 1 if options.randomize else 1.0
    growth = _js_pow(options.factor, max(a - 1, 0))
    delay_ms = min(
        _js_round(r * max(options.min_timeout_in_ms, 1) * growth), options.max_timeout_in_ms
    )
    if not math.isfinite(delay_ms):
        return None
    try:
        return now + timedelta(milliseconds=delay_ms)
    except OverflowError:
        return None


def execution_retry_delay(failure_count: int) -> timedelta:
    """How long to wait before re-sending EXECUTE_JOB: ``500 ms * 1.5 ** failure_count``.

    ``failure_count`` is the run's ``executionFailureCount`` including the failure
    just recorded (1 for the first, giving 750 ms); the caller fails the run instead
    once it reaches ``MAX_EXECUTION_FAILURES``.
    """
    if failure_count < 0:
        raise ValueError("failure_count cannot be negative")
    return timedelta(milliseconds=_EXECUTION_BASE_DELAY_MS * _EXECUTION_FACTOR**failure_count)
