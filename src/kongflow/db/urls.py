"""Translate one PostgreSQL URL into the driver-specific forms each library wants.

Users give kongflow a plain ``postgresql://`` URL. SQLAlchemy's async engine needs
``postgresql+asyncpg://`` (asyncpg measured faster than psycopg for our request path),
Alembic runs synchronously on ``postgresql+psycopg://``, and procrastinate takes a
libpq conninfo string.
"""

from sqlalchemy.engine import URL, make_url


def _with_driver(url: str, driver: str) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"kongflow needs a PostgreSQL URL, got {parsed.get_backend_name()!r}")
    return parsed.set(drivername=f"postgresql+{driver}")


def asyncpg_url(url: str) -> URL:
    """URL for SQLAlchemy's async engine."""
    return _with_driver(url, "asyncpg")


def psycopg_url(url: str) -> URL:
    """URL for synchronous SQLAlchemy use (Alembic migrations)."""
    return _with_driver(url, "psycopg")


def libpq_conninfo(url: str) -> str:
    """Plain libpq URL for psycopg connections (procrastinate)."""
    return (
        _with_driver(url, "psycopg")
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
