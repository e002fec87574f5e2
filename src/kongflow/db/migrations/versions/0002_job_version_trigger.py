"""Store each job version's trigger as declared, for rollback and version diffs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:14:30.677347
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "job_versions",
        sa.Column(
            "trigger", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("job_versions", "trigger")
