"""knowledge tags (per workspace, bound to many knowledge bases), metadata fields declared per knowledge base,
who made and last changed a knowledge base and who added a document (Dify's created_by / updated_by)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_tags",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("workspace_id", sa.Uuid(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("workspace_id", "name", name="uq_knowledge_tags_workspace_id_name"),
    )
    op.create_index("ix_knowledge_tags_workspace_id", "knowledge_tags", ["workspace_id"])
    op.create_table(
        "knowledge_base_tags",
        sa.Column("tag_id", sa.Uuid(), sa.ForeignKey("knowledge_tags.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "knowledge_base_id",
            sa.Uuid(),
            sa.ForeignKey("knowledge_bases.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_knowledge_base_tags_knowledge_base_id", "knowledge_base_tags", ["knowledge_base_id"])
    op.create_table(
        "knowledge_metadata_fields",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "knowledge_base_id", sa.Uuid(), sa.ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("knowledge_base_id", "name", name="uq_knowledge_metadata_fields_knowledge_base_id_name"),
    )
    op.add_column(
        "knowledge_bases",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.add_column("knowledge_bases", sa.Column("updated_by", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_knowledge_bases_updated_by_users", "knowledge_bases", "users", ["updated_by"], ["id"], ondelete="SET NULL"
    )
    op.add_column(
        "knowledge_bases",
        sa.Column("built_in_metadata", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("documents", sa.Column("created_by", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_documents_created_by_users", "documents", "users", ["created_by"], ["id"], ondelete="SET NULL"
    )
    # What is known of the rows already there: a base was last changed when it was made, by whoever made it, and
    # its documents were added by the same person.
    op.execute("UPDATE knowledge_bases SET updated_at = created_at, updated_by = created_by")
    op.execute(
        "UPDATE documents d SET created_by = kb.created_by FROM knowledge_bases kb WHERE kb.id = d.knowledge_base_id"
    )


def downgrade() -> None:
    op.drop_column("documents", "created_by")
    op.drop_column("knowledge_bases", "built_in_metadata")
    op.drop_column("knowledge_bases", "updated_by")
    op.drop_column("knowledge_bases", "updated_at")
    op.drop_table("knowledge_metadata_fields")
    op.drop_table("knowledge_base_tags")
    op.drop_table("knowledge_tags")
