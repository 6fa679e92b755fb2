"""serving: usage rows name the app, conversation and run a model call was made for (filled by later features)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No foreign keys: apps, conversations and runs are deleted on their own schedule; usage outlives them.
    op.add_column("usage_records", sa.Column("app_id", sa.Uuid(), nullable=True))
    op.add_column("usage_records", sa.Column("conversation_id", sa.Uuid(), nullable=True))
    op.add_column("usage_records", sa.Column("run_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_usage_records_app_at", "usage_records", ["app_id", "at"], postgresql_where=sa.text("app_id IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_usage_records_app_at", table_name="usage_records")
    op.drop_column("usage_records", "run_id")
    op.drop_column("usage_records", "conversation_id")
    op.drop_column("usage_records", "app_id")
