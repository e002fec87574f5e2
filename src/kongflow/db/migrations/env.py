"""Alembic environment: migrations always run on a connection handed in by
``kongflow.db.migrate`` (which holds the migration lock)."""

from alembic import context

from kongflow.db.orm import Base
from kongflow.db.schema_filter import include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    compare_type=True,
    compare_server_default=False,
)
with context.begin_transaction():
    context.run_migrations()
