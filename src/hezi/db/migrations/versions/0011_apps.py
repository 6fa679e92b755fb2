"""apps: an agent published as an app, the history of its releases; app keys and app conversations point at it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "apps",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("workspace_id", sa.Uuid(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_id", sa.Uuid(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("channels", jsonb, nullable=False),
        sa.Column("access", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("allowed_origins", jsonb, nullable=False),
        sa.Column("rate_limit_rpm", sa.Integer(), nullable=True),
        sa.Column("token_limit_per_day", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("slug", name=op.f("uq_apps_slug")),
        sa.UniqueConstraint("token", name=op.f("uq_apps_token")),
    )
    op.create_index(op.f("ix_apps_workspace_id"), "apps", ["workspace_id"])
    op.create_index(op.f("ix_apps_agent_id"), "apps", ["agent_id"])
    op.create_table(
        "app_releases",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("app_id", sa.Uuid(), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_version", sa.Integer(), nullable=False),
        sa.Column("rollback", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(op.f("ix_app_releases_app_id"), "app_releases", ["app_id"])
    # Keys and conversations of apps were stored without a foreign key until apps existed; none can be orphaned
    # yet (no code created them), so the constraints go on as they are.
    op.create_foreign_key(op.f("fk_api_keys_app_id_apps"), "api_keys", "apps", ["app_id"], ["id"], ondelete="CASCADE")
    op.create_foreign_key(
        op.f("fk_conversations_app_id_apps"), "conversations", "apps", ["app_id"], ["id"], ondelete="CASCADE"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_conversations_app_id_apps"), "conversations", type_="foreignkey")
    op.drop_constraint(op.f("fk_api_keys_app_id_apps"), "api_keys", type_="foreignkey")
    op.drop_index(op.f("ix_app_releases_app_id"), table_name="app_releases")
    op.drop_table("app_releases")
    op.drop_index(op.f("ix_apps_agent_id"), table_name="apps")
    op.drop_index(op.f("ix_apps_workspace_id"), table_name="apps")
    op.drop_table("apps")
