"""Ordering of job version strings.

v2 chose the ``latest`` alias by comparing version strings as text, so ``0.10.0``
sorted below ``0.9.0``. kongflow orders by semantic version wherever a string parses
as one (a leading ``v`` and a missing minor/patch are tolerated); strings that do not
parse sort below every semantic version, by text among themselves.
"""

from typing import Any

import semver


def version_sort_key(version: str) -> tuple[int, Any]:
    """A key such that ``sorted(versions, key=version_sort_key)`` ends with the newest."""
    candidate = version.strip().removeprefix("v")
    try:
        return (1, semver.Version.parse(candidate, optional_minor_and_patch=True))
    except (ValueError, TypeError):
        return (0, version)


def is_newest(version: str, others: list[str]) -> bool:
    """True when no version in ``others`` is newer than ``version``."""
    key = version_sort_key(version)
    return all(version_sort_key(other) <= key for other in others)
