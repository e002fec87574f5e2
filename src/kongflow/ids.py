"""Identifiers for every row kongflow creates.

An id is ``<prefix>_<ulid>`` with the ULID in lower case: the prefix tells a reader
what kind of thing an id names (``run_…``, ``job_…``), and the ULID makes ids sort by
creation time, which keeps B-tree inserts local and lets cursors page by id. v2 used
cuids for most rows and lower-cased ULIDs for tasks; nothing in the SDK parses ids,
so one consistent scheme is safe.
"""

from ulid import ULID


def new_id(prefix: str) -> str:
    """Return a fresh, time-sortable id such as ``run_01jd3x…``."""
    return f"{prefix}_{str(ULID()).lower()}"


def new_ulid() -> str:
    """Return a bare lower-case ULID, as v2 used for invoke event ids."""
    return str(ULID()).lower()
