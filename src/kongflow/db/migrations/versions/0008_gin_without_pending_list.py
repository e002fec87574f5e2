"""The GIN indexes searched on every event and every execution keep no pending list.

By default a GIN index adds new entries to a pending list that every search reads
through, in full, until a VACUUM (or the list growing past 4 MB) merges it. The
dispatcher lookup (``event_dispatchers.event``, once per event) and the concurrency
claim (``execution_slots.keys``, ``execution_waits.keys``, once per execution) are
such searches, and on a server without autovacuum the list is never merged:
measured in bench/scale.py, 10,000 freshly registered dispatchers made each event
with no match cost 2.04x what it costs with 10 (1.10x once merged). With
``fastupdate = off`` each insert goes straight into the index, a little dearer for
writes that are rare (registering dispatchers) or small (one slot per execution).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = ("ix_event_dispatchers_event", "ix_execution_slots_keys", "ix_execution_waits_keys")


def upgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")  # what is listed now


def downgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
