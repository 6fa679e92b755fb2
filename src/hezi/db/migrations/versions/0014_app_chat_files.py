"""app chat files: files an app's end users upload (Dify's /v1/files/upload), theirs alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "chat_files", sa.Column("app_id", sa.Uuid(), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=True)
    )
    op.add_column("chat_files", sa.Column("end_user", sa.String(length=255), nullable=True))
    op.create_index("ix_chat_files_app_end_user", "chat_files", ["app_id", "end_user"])


def downgrade() -> None:
    op.drop_index("ix_chat_files_app_end_user", table_name="chat_files")
    op.drop_column("chat_files", "end_user")
    op.drop_column("chat_files", "app_id")
