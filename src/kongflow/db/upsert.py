"""PostgreSQL ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` for ORM classes.

Registration writes many rows keyed by natural keys (a job by project and slug, a
version by job, version and environment…). An upsert makes each write a single
atomic statement, so concurrent registrations neither fail on unique constraints
nor duplicate rows, and the row lock it takes orders them.
"""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kongflow.db.orm import Base

ModelT = TypeVar("ModelT", bound=Base)


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
    statement = insert(model).values(**values)
    changes: dict[str, Any] = {column: statement.excluded[column] for column in update}
    changes["updated_at"] = func.now()
    statement = statement.on_conflict_do_update(index_elements=list(key), set_=changes)
    result = await session.scalars(
        statement.returning(model), execution_options={"populate_existing": True}
    )
    return result.one()


async def insert_if_absent(
    session: AsyncSession, model: type[ModelT], values: Mapping[str, Any], *, key: Iterable[str]
) -> None:
    """Insert ``values`` unless a row with the same ``key`` columns already exists."""
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(key))
    await session.execute(statement)
