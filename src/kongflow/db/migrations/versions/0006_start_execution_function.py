"""Starting an execution as one SQL function: lock the run, claim its place, mark it.

Claiming a concurrency place and marking the run EXECUTING (numbering it on its
first execution) were two statements, each its own transaction and commit. As one
function they are one round trip and one commit per execution. The run row is
locked before the limit keys, the order in which recording an outcome takes them.

Returns ``started``; ``waiting`` when a limit is full (a wait is recorded, as by
``kongflow_claim_execution_slot``); ``moved`` when the run is no longer in the
status the caller read (cancelled meanwhile, say), in which case nothing changed.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

START = """
CREATE FUNCTION kongflow_start_execution(
    p_run_id varchar, p_status run_status, p_keys varchar[], p_limits integer[],
    p_stale_seconds integer, p_started_at timestamptz
) RETURNS varchar LANGUAGE plpgsql AS $$
DECLARE
    v_job_id varchar;
    v_number integer;
BEGIN
    SELECT job_id, number INTO v_job_id, v_number
      FROM runs WHERE id = p_run_id AND status = p_status
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'moved';
    END IF;
    IF NOT kongflow_claim_execution_slot(p_run_id, p_keys, p_limits, p_stale_seconds) THEN
        RETURN 'waiting';
    END IF;
    IF v_number IS NULL THEN
        INSERT INTO job_counters (job_id, last_number) VALUES (v_job_id, 1)
        ON CONFLICT (job_id) DO UPDATE SET last_number = job_counters.last_number + 1
        RETURNING last_number INTO v_number;
    END IF;
    UPDATE runs
       SET status = 'EXECUTING', started_at = coalesce(started_at, p_started_at),
           number = v_number, updated_at = now()
     WHERE id = p_run_id;
    RETURN 'started';
END $$;
"""


def upgrade() -> None:
    op.execute(START)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION kongflow_start_execution("
        "varchar, run_status, varchar[], integer[], integer, timestamptz)"
    )
