"""chatflows in the chat: the human-input form a paused answer waits on (status paused), and a conversation's
workflow conversation variables

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("form", postgresql.JSONB(), nullable=True))
    op.add_column(
        "conversations",
        sa.Column("variables", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("conversations", "variables")
    op.drop_column("messages", "form")
