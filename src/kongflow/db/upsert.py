"""PostgreSQL ``INSERT … ON CONFLICT DO UPDATE`` for ORM classes.

Registration writes many rows keyed by natural keys (a job by project and slug, a
version by job, version and environment…). An upsert makes each write a single
atomic statement, so concurrent registrations neither fail on unique constraints
nor duplicate rows, and the row lock it takes orders them.
"""

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Base

ModelT = TypeVar("ModelT", bound=Base)


@lru_cache(maxsize=256)
def _upsert_statement(model: type[Base], key: tuple[str, ...], update: tuple[str, ...]) -> Insert:
    # Built once per shape and executed with parameters, so SQLAlchemy's compiled
    # cache is hit; rebuilding it per call (``excluded`` proxies every column) cost
    # more than the database round trip.
    statement = insert(model)
    excluded = statement.excluded
    changes: dict[str, Any] = {column: excluded[column] for column in update}
    changes["updated_at"] = func.now()
    return statement.on_conflict_do_update(index_elements=list(key), set_=changes)


async def upsert(
    session: AsyncSession,
    model: type[ModelT],
    values: Mapping[str, Any],
    *,
    key: Iterable[str],
    update: Iterable[str],
) -> ModelT:
    """Insert ``values`` or, when a row with the same ``key`` columns exists, update its
    ``update`` columns from ``values``; return the row as it is now.

    Python-side defaults (ids) apply on insert; ``updated_at`` is bumped on update.
    """
    statement = _upsert_statement(model, tuple(key), tuple(update)).returning(model)
    result = await session.scalars(
        statement, [dict(values)], execution_options={"populate_existing": True}
    )
    return result.one()


async def upsert_rows(
    session: AsyncSession,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Iterable[str],
    update: Iterable[str],
) -> None:
    """Upsert several rows in one round trip, returning nothing (cheaper than :func:`upsert`).

    Rows must not repeat a key: PostgreSQL refuses to update one row twice in a statement.
    """
    if rows:
        statement = _upsert_statement(model, tuple(key), tuple(update))
        connection = await session.connection()  # Core path: no ORM result processing
        await connection.execute(statement, [dict(row) for row in rows])


async def insert_if_absent(
    session: AsyncSession, model: type[ModelT], values: Mapping[str, Any], *, key: Iterable[str]
) -> None:
    """Insert ``values`` unless a row with the same ``key`` columns already exists."""
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(key))
    await session.execute(statement)
