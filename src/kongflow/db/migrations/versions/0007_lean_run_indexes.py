"""Fewer indexes on the tables every run writes, so that status changes are HOT updates.

A run's row is inserted once and updated twice (started, finished), its task's row
once each way, and each event is one insert. ``runs`` carried ten indexes,
``event_records`` nine and ``tasks`` five, and every update of a run or a task wrote
a new entry into each of them, because the status column was indexed (an updated
indexed column rules out a heap-only tuple update). Measured in
bench/run_throughput.py on this machine's PostgreSQL: no update of ``runs`` or
``tasks`` was HOT.

Dropped: the indexes on references that no query looks rows up by, to parents that
kongflow never deletes (organization, project, endpoint, version, queue, external
account and HTTP endpoint), and the two status indexes, which no query uses (every
status filter also names the job, the event or the run, and those lead the indexes
kept). Deleting such a parent by hand now scans the table once, which is fine for a
rare manual operation. ``runs`` and ``tasks`` leave a quarter of each page free so
that an updated row finds room in its own page.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED: dict[str, dict[str, list[str]]] = {
    "runs": {
        "ix_runs_endpoint_id": ["endpoint_id"],
        "ix_runs_environment_status": ["environment_id", "status"],
        "ix_runs_external_account_id": ["external_account_id"],
        "ix_runs_organization_id": ["organization_id"],
        "ix_runs_project_id": ["project_id"],
        "ix_runs_queue_id": ["queue_id"],
        "ix_runs_version_id": ["version_id"],
    },
    "tasks": {"ix_tasks_run_status": ["run_id", "status"]},
    "event_records": {
        "ix_event_records_external_account_id": ["external_account_id"],
        "ix_event_records_http_endpoint_environment_id": ["http_endpoint_environment_id"],
        "ix_event_records_http_endpoint_id": ["http_endpoint_id"],
        "ix_event_records_organization_id": ["organization_id"],
        "ix_event_records_project_id": ["project_id"],
    },
}
UPDATED_IN_PLACE = ("runs", "tasks")
FILLFACTOR = 75


def upgrade() -> None:
    for table, indexes in DROPPED.items():
        for name in indexes:
            op.drop_index(name, table_name=table)
    for table in UPDATED_IN_PLACE:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    for table in UPDATED_IN_PLACE:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    for table, indexes in DROPPED.items():
        for name, columns in indexes.items():
            op.create_index(name, table, columns)
