"""pinned prefixes: KV sequences a chat deployment keeps for published apps' prompts, and the unified KV cache
option (issue 15)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "deployments", sa.Column("pinned_prefixes", sa.Integer(), nullable=False, server_default=sa.text("2"))
    )
    op.add_column("deployments", sa.Column("kv_unified", sa.Boolean(), nullable=False, server_default=sa.text("false")))


def downgrade() -> None:
    op.drop_column("deployments", "kv_unified")
    op.drop_column("deployments", "pinned_prefixes")
