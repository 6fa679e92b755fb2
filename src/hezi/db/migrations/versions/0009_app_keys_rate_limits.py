"""accounts: API keys bound to an app, per-key rate limits, and the rate-limit counters shared by every server

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("kind", sa.String(length=8), server_default="user", nullable=False))
    # No foreign key: there is no apps table yet, and a key outlives nothing it could point at.
    op.add_column("api_keys", sa.Column("app_id", sa.Uuid(), nullable=True))
    op.add_column("api_keys", sa.Column("rate_limit_rpm", sa.Integer(), nullable=True))
    op.add_column("api_keys", sa.Column("token_limit_per_day", sa.BigInteger(), nullable=True))
    op.create_check_constraint(op.f("ck_api_keys_kind"), "api_keys", "kind IN ('user','app')")
    op.create_check_constraint(op.f("ck_api_keys_app_key_has_app"), "api_keys", "(kind = 'app') = (app_id IS NOT NULL)")
    op.create_index(op.f("ix_api_keys_app_id"), "api_keys", ["app_id"], unique=False)
    op.create_table(
        "rate_counters",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "window_start", name=op.f("pk_rate_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.drop_index(op.f("ix_api_keys_app_id"), table_name="api_keys")
    op.drop_constraint(op.f("ck_api_keys_app_key_has_app"), "api_keys", type_="check")
    op.drop_constraint(op.f("ck_api_keys_kind"), "api_keys", type_="check")
    op.drop_column("api_keys", "token_limit_per_day")
    op.drop_column("api_keys", "rate_limit_rpm")
    op.drop_column("api_keys", "app_id")
    op.drop_column("api_keys", "kind")
