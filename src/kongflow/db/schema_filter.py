"""What of the database schema belongs to kongflow's ORM, for comparisons.

procrastinate's tables live beside ours but are declared by procrastinate's own SQL,
so autogenerate and the drift test must not expect them in the ORM metadata.
"""

from typing import Any

PROCRASTINATE_PREFIX = "procrastinate_"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name`` hook: leave procrastinate's objects out."""
    return not (name or "").startswith(PROCRASTINATE_PREFIX)
