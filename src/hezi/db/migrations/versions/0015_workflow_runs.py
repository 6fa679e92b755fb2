"""workflow runs: a row per run of a workflow or chatflow (draft or app), a row per node it ran, the paused state;
an answer of a chatflow names its run

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "workflow_runs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("workspace_id", sa.Uuid(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_id", sa.Uuid(), sa.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("agent_version", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("triggered_from", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("app_id", sa.Uuid(), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=True),
        sa.Column("end_user", sa.String(length=255), nullable=True),
        sa.Column("conversation_id", sa.Uuid(), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("graph", jsonb, nullable=False),
        sa.Column("inputs", jsonb, nullable=False),
        sa.Column("sys", jsonb, nullable=False),
        sa.Column("outputs", jsonb, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("elapsed_time", sa.Float(), nullable=False),
        sa.Column("total_tokens", sa.Integer(), nullable=False),
        sa.Column("total_steps", sa.Integer(), nullable=False),
        sa.Column("state", jsonb, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_workflow_runs_agent_created", "workflow_runs", ["agent_id", "created_at"])
    op.create_index("ix_workflow_runs_app_created", "workflow_runs", ["app_id", "created_at"])
    op.create_index(op.f("ix_workflow_runs_conversation_id"), "workflow_runs", ["conversation_id"])
    op.create_table(
        "workflow_node_runs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("run_id", sa.Uuid(), sa.ForeignKey("workflow_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("node_type", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("predecessor_node_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("inputs", jsonb, nullable=True),
        sa.Column("process_data", jsonb, nullable=True),
        sa.Column("outputs", jsonb, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("elapsed_time", sa.Float(), nullable=False),
        sa.Column("extras", jsonb, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_workflow_node_runs_run_index", "workflow_node_runs", ["run_id", "index"])
    op.add_column("messages", sa.Column("workflow_run_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_messages_workflow_run_id_workflow_runs"), "messages", "workflow_runs", ["workflow_run_id"], ["id"],
        ondelete="SET NULL",
    )  # fmt: skip


def downgrade() -> None:
    op.drop_constraint(op.f("fk_messages_workflow_run_id_workflow_runs"), "messages", type_="foreignkey")
    op.drop_column("messages", "workflow_run_id")
    op.drop_index("ix_workflow_node_runs_run_index", table_name="workflow_node_runs")
    op.drop_table("workflow_node_runs")
    op.drop_index(op.f("ix_workflow_runs_conversation_id"), table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_app_created", table_name="workflow_runs")
    op.drop_index("ix_workflow_runs_agent_created", table_name="workflow_runs")
    op.drop_table("workflow_runs")
