"""Plain asyncpg statements, for the run engine's hot path.

Every single-task run makes about twenty statements, and on this 2-core machine
Python CPU is what limits run throughput. Measured with ``bench/statement_cost.py``
(a one-row select by primary key, client CPU per transaction): about 1.0 ms through
the ORM, 0.7 ms through SQLAlchemy Core, 0.6 ms through asyncpg in an ORM session's
transaction and 0.4 to 0.5 ms through asyncpg in a transaction with no session; a
second statement in the same transaction adds about 0.5 ms through the ORM and
0.08 ms through asyncpg. So the statements every run makes go through here: inside
a caller's session (:func:`driver_connection`), or with no session at all for units
of work made only of plain statements (:func:`raw_transaction`,
:func:`autocommit_connection`).
Rows read this way can stand in for ORM objects (:func:`transient`). Everything
else stays ORM.

The connection is SQLAlchemy's, with SQLAlchemy's type codecs: ``jsonb`` parameters
are JSON *text* (use :func:`jsonb`) and ``jsonb`` results arrive parsed; enums are
plain strings both ways.
"""

import contextlib
import copy
import enum
import functools
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, TypeAlias, TypeVar

import asyncpg
from sqlalchemy import JSON, Enum, inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kongflow.db.orm import Base
from kongflow.db.session import Database

_Model = TypeVar("_Model", bound=Base)
_DRIVER = "kongflow.driver_connection"  # session.info key: (transaction, its connection)


Work: TypeAlias = AsyncSession | asyncpg.Connection
"""Where a service's statements go: an ORM session's transaction, or a plain asyncpg
connection in a transaction (:func:`raw_transaction`)."""


class SessionNeeded(Exception):
    """Raised by a service given a plain connection when it reaches a rare branch
    written against the ORM. The caller rolls that transaction back and does the
    whole unit of work again in a session (see :func:`session_of`)."""


def session_of(work: Work) -> AsyncSession:
    """``work`` as an ORM session, or :class:`SessionNeeded` when it is a plain
    connection: for the branches of a hot path that are rare enough to be redone."""
    if isinstance(work, AsyncSession):
        return work
    raise SessionNeeded


async def driver_connection(work: Work) -> asyncpg.Connection:
    """The asyncpg connection of ``work``'s transaction, with that transaction begun.

    SQLAlchemy's asyncpg adapter sends ``BEGIN`` lazily, before its own first
    statement; a statement sent straight to the driver before that would run outside
    the transaction (and commit on its own), so the adapter is asked to begin first.
    A session's transaction keeps one connection, so it is found once per transaction
    (a lookup costs a greenlet switch, and a run's outcome makes a dozen).
    """
    if isinstance(work, asyncpg.Connection):
        return work
    known = work.info.get(_DRIVER)
    if known is not None and known[0] is work.sync_session.get_transaction():
        driver: asyncpg.Connection = known[1]
        return driver
    adapter = _adapter(await work.connection())
    if adapter._transaction is None:
        await adapter._start_transaction()
    driver = adapter.driver_connection
    work.info[_DRIVER] = (work.sync_session.get_transaction(), driver)
    return driver


def jsonb(value: Any) -> str | None:
    """``value`` as a ``jsonb`` parameter (``None`` stays SQL NULL)."""
    return None if value is None else json.dumps(value)


@contextlib.asynccontextmanager
async def autocommit_connection(database: Database) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection in autocommit mode (no SQLAlchemy transaction): each
    statement is a transaction of its own, with no ``BEGIN`` and ``COMMIT`` round trips
    (a single statement reads one consistent snapshot)."""
    async with database.engine.connect() as connection:
        yield _adapter(connection).driver_connection


def _adapter(connection: AsyncConnection) -> Any:
    """SQLAlchemy's asyncpg adapter of a connection just checked out (read without the
    greenlet ``get_raw_connection`` spends: the pooled connection is already there)."""
    return connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]


@contextlib.asynccontextmanager
async def raw_transaction(database: Database) -> AsyncIterator[asyncpg.Connection]:
    """A pooled asyncpg connection in a transaction of its own, committed when the
    block exits cleanly: for a unit of work made only of plain statements, without
    the ORM session's cost (about a quarter of a millisecond of client CPU per
    transaction, ``bench/statement_cost.py``)."""
    async with autocommit_connection(database) as driver, driver.transaction():
        yield driver


def atomic(
    connection: asyncpg.Connection, *, needed: bool = True
) -> contextlib.AbstractAsyncContextManager[Any]:
    """Make the statements of the block commit together when ``needed``: a transaction
    on a connection in autocommit, a savepoint inside an open one.

    For a service run in autocommit on the hot path whose rare branches write twice
    (with ``needed=False`` the common branch spends no round trips on it).
    """
    return connection.transaction() if needed else contextlib.nullcontext()


async def autocommit(database: Database, sql: str, *args: Any) -> Any:
    """Run one statement as a transaction of its own and return its first value.

    For a statement that must commit whatever the caller's transaction does, or that
    is atomic on its own (one ``UPDATE`` with its CTEs), so that no ``BEGIN`` and
    ``COMMIT`` round trips are spent on it.
    """
    async with autocommit_connection(database) as driver:
        return await driver.fetchval(sql, *args)


def select_list(model: type[Base], alias: str) -> str:
    """Every column of ``model``'s table under alias ``alias``, each named
    ``"<alias>.<column>"``, for :func:`transient` to find in the row."""
    return ", ".join(
        f'{alias}.{column.name} AS "{alias}.{column.name}"' for column in inspect(model).columns
    )


def transient(model: type[_Model], row: Mapping[str, Any], alias: str) -> _Model:
    """A session-less ``model`` instance holding the columns :func:`select_list` read
    under ``alias`` (enum columns turned back into their enums).

    For code written against ORM objects that reads and sets their columns; see
    :func:`holding`. Write what changed with :func:`write_changes`.
    """
    values: dict[str, Any] = {}
    for key, name, enum_class, _ in _attributes(model):
        value = row[f"{alias}.{name}"]
        values[key] = enum_class(value) if enum_class and value is not None else value
    return holding(model, values)


def holding(model: type[_Model], values: Mapping[str, Any]) -> _Model:
    """A session-less ``model`` instance holding ``values`` (by attribute name).

    The instance is filled in directly, as the ORM fills the objects it loads: a
    microsecond, where the constructor's instrumented attribute sets cost tens.
    Relationships are not loaded, and no session ever sees it.
    """
    instance = model.__new__(model)
    inspect(model).class_manager.setup_instance(instance)
    instance.__dict__.update(values)
    return instance


def column_values(instance: Base) -> dict[str, Any]:
    """The column values ``instance`` holds now (a snapshot for :func:`write_changes`;
    lists and dicts are copied, so that changing one in place still counts)."""
    snapshot: dict[str, Any] = {}
    for key, _, _, _ in _attributes(type(instance)):
        value = instance.__dict__.get(key)
        snapshot[key] = copy.deepcopy(value) if isinstance(value, list | dict) else value
    return snapshot


async def write_changes(work: Work, instance: Base, since: Mapping[str, Any]) -> None:
    """``UPDATE`` the row of a :func:`transient` instance with the columns that differ
    from the snapshot ``since`` (and ``updated_at``), in ``work``'s transaction."""
    model = type(instance)
    changed: list[str] = []
    args: list[Any] = []
    for key, name, enum_class, is_json in _attributes(model):
        value = instance.__dict__.get(key)
        if value == since.get(key) or name == "updated_at":
            continue
        if is_json:
            value = jsonb(value)
        elif enum_class is not None and value is not None:
            value = value.value
        changed.append(name)
        args.append(value)
    if not changed:
        return
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(changed, start=2))
    table = model.__tablename__
    connection = await driver_connection(work)
    await connection.execute(
        f"UPDATE {table} SET {assignments}, updated_at = now() WHERE id = $1",
        instance.__dict__["id"],
        *args,
    )


@functools.cache
def _attributes(
    model: type[Base],
) -> tuple[tuple[str, str, type[enum.Enum] | None, bool], ...]:
    """``(attribute, column, enum class or None, is JSON)`` for each column of ``model``."""
    found = []
    for attribute in inspect(model).column_attrs:
        column = attribute.columns[0]
        enum_class = column.type.enum_class if isinstance(column.type, Enum) else None
        found.append((attribute.key, column.name, enum_class, isinstance(column.type, JSON)))
    return tuple(found)
