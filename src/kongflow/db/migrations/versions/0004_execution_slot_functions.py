"""Claim and release of execution slots as single statements (SQL functions).

A claim or release takes a transaction-scoped advisory lock per limit key. Done as
several statements from Python, the lock was held across round trips, and under
load executions queued behind it (measured: most active database time in
bench/run_throughput.py was spent waiting for it). As one function call run in its
own short transaction, the lock is held only while the server runs the function.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIM = """
CREATE FUNCTION kongflow_claim_execution_slot(
    p_run_id varchar, p_keys varchar[], p_limits integer[], p_stale_seconds integer
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    used integer;
BEGIN
    -- Keys arrive sorted, so concurrent claims lock them in one order.
    FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
        PERFORM pg_advisory_xact_lock(hashtext(p_keys[i]));
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(p_keys, 1), 0) LOOP
        SELECT count(*) INTO used FROM execution_slots
         WHERE keys @> ARRAY[p_keys[i]]
           AND run_id <> p_run_id
           AND acquired_at > now() - make_interval(secs => p_stale_seconds);
        IF used >= p_limits[i] THEN
            INSERT INTO execution_waits (run_id, keys, since, created_at, updated_at)
            VALUES (p_run_id, p_keys, now(), now(), now())
            ON CONFLICT (run_id) DO UPDATE SET keys = EXCLUDED.keys, updated_at = now();
            RETURN false;
        END IF;
    END LOOP;
    INSERT INTO execution_slots (run_id, keys, acquired_at, created_at, updated_at)
    VALUES (p_run_id, p_keys, now(), now(), now())
    ON CONFLICT (run_id) DO UPDATE
        SET keys = EXCLUDED.keys, acquired_at = now(), updated_at = now();
    DELETE FROM execution_waits WHERE run_id = p_run_id;
    RETURN true;
END $$;
"""

RELEASE = """
CREATE FUNCTION kongflow_release_execution_slot(p_run_id varchar)
RETURNS varchar[] LANGUAGE plpgsql AS $$
DECLARE
    slot_keys varchar[];
    key varchar;
    waiter varchar;
    woken varchar[] := '{}';
BEGIN
    SELECT keys INTO slot_keys FROM execution_slots WHERE run_id = p_run_id;
    IF slot_keys IS NULL THEN
        RETURN woken;
    END IF;
    FOREACH key IN ARRAY slot_keys LOOP
        PERFORM pg_advisory_xact_lock(hashtext(key));
    END LOOP;
    DELETE FROM execution_slots WHERE run_id = p_run_id;
    FOREACH key IN ARRAY slot_keys LOOP
        SELECT run_id INTO waiter FROM execution_waits
         WHERE keys @> ARRAY[key] AND NOT run_id = ANY(woken)
         ORDER BY since LIMIT 1;
        IF waiter IS NOT NULL THEN
            woken := woken || waiter;
        END IF;
    END LOOP;
    RETURN woken;
END $$;
"""


def upgrade() -> None:
    op.execute(CLAIM)
    op.execute(RELEASE)


def downgrade() -> None:
    op.execute("DROP FUNCTION kongflow_release_execution_slot(varchar)")
    op.execute(
        "DROP FUNCTION kongflow_claim_execution_slot(varchar, varchar[], integer[], integer)"
    )
