"""Small helpers shared by routes that render rows as v2-style JSON."""

from datetime import datetime


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z``, as the v2 server wrote dates."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
