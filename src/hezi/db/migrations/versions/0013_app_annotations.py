"""app annotations: an app owner's answers to questions, given without the model to similar questions; each app's
annotation-reply setting; answers record the annotation they were

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_annotations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("app_id", sa.Uuid(), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("embedding", pgvector.sqlalchemy.Vector(), nullable=True),
        sa.Column("embedding_model", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_index(op.f("ix_app_annotations_app_id"), "app_annotations", ["app_id"])
    op.create_table(
        "app_annotation_settings",
        sa.Column("app_id", sa.Uuid(), sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("score_threshold", sa.Float(), nullable=False),
        sa.Column("embedding_model", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("messages", sa.Column("annotation_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_messages_annotation_id_app_annotations"), "messages", "app_annotations", ["annotation_id"], ["id"],
        ondelete="SET NULL",
    )  # fmt: skip
    op.create_index(op.f("ix_messages_annotation_id"), "messages", ["annotation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_annotation_id"), table_name="messages")
    op.drop_constraint(op.f("fk_messages_annotation_id_app_annotations"), "messages", type_="foreignkey")
    op.drop_column("messages", "annotation_id")
    op.drop_table("app_annotation_settings")
    op.drop_index(op.f("ix_app_annotations_app_id"), table_name="app_annotations")
    op.drop_table("app_annotations")
