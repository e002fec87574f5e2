"""procrastinate's job fetch, as planned on kongflow's worker connections, walks the
queue's index instead of reading and sorting every waiting job.

The statement is read from procrastinate's own fetch function in the database, so the
test follows the installed library. It is planned as the worker's sessions plan it
(one generic plan, the queue names a parameter) with 2,000 jobs waiting, in a
transaction that is rolled back.
"""

import re

import procrastinate
import pytest

FETCH_FUNCTION = "procrastinate_fetch_job_v2"
WAITING = 2000


async def _fetch_plan(app: procrastinate.App, **settings: str) -> str:
    """The plan the worker's session would use for the fetch (``settings``: ones to
    change for this transaction)."""
    pool = app.connector.pool
    async with pool.connection() as connection, connection.transaction(force_rollback=True):
        body = await (
            await connection.execute(
                "SELECT prosrc FROM pg_proc WHERE proname = %s", [FETCH_FUNCTION]
            )
        ).fetchone()
        assert body is not None, f"{FETCH_FUNCTION} is not installed"
        statement = re.search(r"(WITH candidate AS .*?)\s+INTO found_jobs;", body[0], re.S)
        assert statement is not None, "the fetch function's statement changed shape"
        sql = statement.group(1).replace("target_queue_names", "$1::varchar[]")
        sql = sql.replace("p_worker_id", "$2::bigint")
        await connection.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, lock, queueing_lock, args) "
            "SELECT 'plan-test', 'plan_test', 'plan-test:' || n, 'plan-test:' || n, '{}' "
            "FROM generate_series(1, %s) AS n",
            [WAITING],
        )
        for name, value in settings.items():
            await connection.execute(f"SET LOCAL {name} = {value}")
        await connection.execute(f"PREPARE kongflow_fetch_plan AS {sql}")
        try:
            rows = await (
                await connection.execute("EXPLAIN EXECUTE kongflow_fetch_plan(NULL, NULL)")
            ).fetchall()
        finally:
            await connection.execute("DEALLOCATE kongflow_fetch_plan")
    return "\n".join(row[0] for row in rows)


async def test_the_worker_fetch_walks_the_priority_index(worker_app: procrastinate.App) -> None:
    plan = await _fetch_plan(worker_app)
    assert "Sort" not in plan, plan
    assert "procrastinate_jobs_priority_idx" in plan, plan
    # The generic plan, kept for the session: the queue names are still a parameter
    # (a plan made for one call has NULL folded in), so no call pays for planning.
    assert "$1" in plan, plan


async def test_with_sorting_allowed_the_fetch_can_read_and_sort_every_waiting_job(
    worker_app: procrastinate.App,
) -> None:
    """The control: what the worker's sessions are kept from (when the statistics
    under-count the waiting jobs, as they do here)."""
    plan = await _fetch_plan(worker_app, enable_sort="on", plan_cache_mode="force_generic_plan")
    if "Sort" not in plan:
        pytest.skip("this database's statistics already lead to the index plan")
    assert "Sort Key: jobs.priority DESC, jobs.id" in plan
