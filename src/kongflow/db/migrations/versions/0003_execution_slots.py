"""Concurrency limits in PostgreSQL: executions in flight and runs waiting for a place.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 21:30:38.569704
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "execution_slots",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("keys", postgresql.ARRAY(sa.String()), nullable=False),
        sa.Column(
            "acquired_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_execution_slots_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_execution_slots")),
    )
    op.create_index(
        "ix_execution_slots_keys", "execution_slots", ["keys"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "execution_waits",
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("keys", postgresql.ARRAY(sa.String()), nullable=False),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_execution_waits_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_execution_waits")),
    )
    op.create_index(
        "ix_execution_waits_keys", "execution_waits", ["keys"], unique=False, postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_execution_waits_keys", table_name="execution_waits", postgresql_using="gin")
    op.drop_table("execution_waits")
    op.drop_index("ix_execution_slots_keys", table_name="execution_slots", postgresql_using="gin")
    op.drop_table("execution_slots")
