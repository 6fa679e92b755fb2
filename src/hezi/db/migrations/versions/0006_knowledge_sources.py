"""knowledge: retrieval defaults, URL and Q&A sources, batches, document metadata

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "knowledge_bases",
        sa.Column("retrieval", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("documents", sa.Column("source_url", sa.Text(), nullable=True))
    op.add_column("documents", sa.Column("batch", sa.String(length=32), nullable=True))
    op.add_column(
        "documents",
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.create_index(op.f("ix_documents_batch"), "documents", ["batch"], unique=False)
    # Metadata filters are containment tests (metadata @> '{"k": "v"}').
    op.create_index("ix_documents_metadata", "documents", ["metadata"], postgresql_using="gin")
    op.add_column("chunks", sa.Column("answer", sa.Text(), nullable=True))
    op.create_table(
        "chunk_parents",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_chunk_parents_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("document_id", "ordinal", name=op.f("pk_chunk_parents")),
    )


def downgrade() -> None:
    op.drop_table("chunk_parents")
    op.drop_column("chunks", "answer")
    op.drop_index("ix_documents_metadata", table_name="documents")
    op.drop_index(op.f("ix_documents_batch"), table_name="documents")
    op.drop_column("documents", "metadata")
    op.drop_column("documents", "batch")
    op.drop_column("documents", "source_url")
    op.drop_column("knowledge_bases", "retrieval")
