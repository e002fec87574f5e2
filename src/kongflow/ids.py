"""Identifiers for every row kongflow creates.

An id is ``<prefix>_<ulid>`` with the ULID in lower case: the prefix tells a reader
what kind of thing an id names (``run_…``, ``job_…``), and the ULID makes ids sort by
creation time, which keeps B-tree inserts local and lets cursors page by id. v2 used
cuids for most rows and lower-cased ULIDs for tasks; nothing in the SDK parses ids,
so one consistent scheme is safe.

Ids are monotonic within a process: two ids made in the same millisecond still sort
in creation order (the random part of the later one is the earlier one's plus one).
Task order (cached tasks, cursors) relies on this.
"""

import os
import threading
import time

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


def new_ulid() -> str:
    """A lower-case, process-monotonic ULID (26 characters)."""
    global _last_ms, _last_random
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            now_ms = _last_ms
            _last_random = (_last_random + 1) % (1 << _RANDOM_BITS)
        else:
            _last_ms = now_ms
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1  # leave room to count up
        random_part = _last_random
    return _encode(now_ms, 10) + _encode(random_part, 16)


def new_id(prefix: str) -> str:
    """Return a fresh, time-sortable id such as ``run_01jd3x…``."""
    return f"{prefix}_{new_ulid()}"
