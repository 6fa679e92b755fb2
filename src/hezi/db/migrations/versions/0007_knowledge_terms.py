"""knowledge: document frequency of each search term per knowledge base (full-text ranking by IDF)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_terms",
        sa.Column("knowledge_base_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["knowledge_base_id"],
            ["knowledge_bases.id"],
            name=op.f("fk_knowledge_terms_knowledge_base_id_knowledge_bases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("knowledge_base_id", "term", name=op.f("pk_knowledge_terms")),
    )
    # The chunks already stored, counted once.
    op.execute(
        "INSERT INTO knowledge_terms (knowledge_base_id, term, df) "
        "SELECT kb.id, s.word, s.ndoc FROM knowledge_bases kb, "
        "LATERAL ts_stat(format('SELECT tokens FROM chunks WHERE knowledge_base_id = %L', kb.id)) s"
    )


def downgrade() -> None:
    op.drop_table("knowledge_terms")
