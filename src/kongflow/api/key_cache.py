"""A short-lived, in-process memory of API keys already resolved to an environment.

Every SDK call authenticates, and most of them are cheap otherwise; looking the key
up in the database each time cost a whole extra transaction per request. Resolved
keys are remembered for ``TTL_SECONDS``, so a key that is rotated or revoked stops
working within that time. Unknown keys are never remembered (a new key works at
once, and a wrong one is always checked against the database).
"""

import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar

TTL_SECONDS = 30.0
MAX_ENTRIES = 10_000

ValueT = TypeVar("ValueT")


@dataclass
class KeyCache(Generic[ValueT]):
    """Values by key, each forgotten ``ttl`` seconds after it was stored."""

    ttl: float = TTL_SECONDS
    max_entries: int = MAX_ENTRIES
    _entries: dict[str, tuple[float, ValueT]] = field(default_factory=dict)

    def get(self, key: str) -> ValueT | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return value

    def put(self, key: str, value: ValueT) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))  # the oldest insertion
        self._entries[key] = (time.monotonic() + self.ttl, value)
