"""An index on procrastinate's job locks, so fetching a job does not grow with the queue.

Every job that executes a run carries the run's lock. procrastinate's fetch query
checks, for each waiting candidate, that no other waiting or running job holds its
lock; the only index naming ``lock`` for waiting jobs has it as its second column,
so each check read the whole index. Measured with 2,000 runs queued: 66 to 183 ms of
database CPU per fetch, most of the database's time in bench/run_throughput.py;
with this index, 0.2 to 4 ms.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX procrastinate_jobs_lock_pending_idx ON procrastinate_jobs "
        "(lock, priority, id) WHERE status IN ('todo', 'doing') AND lock IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX procrastinate_jobs_lock_pending_idx")
