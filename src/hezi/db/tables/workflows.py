"""Tables of workflow runs: one row per run of a workflow or chatflow agent (its draft in the builder, or the version
an app serves), and one per node it ran, with what went in and came out. A paused run keeps its state here, so it
resumes after a restart."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, new_id, utcnow


class WorkflowRun(Base):
    __tablename__ = "workflow_runs"
    __table_args__ = (
        Index("ix_workflow_runs_agent_created", "agent_id", "created_at"),
        Index("ix_workflow_runs_app_created", "app_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False)
    agent_version: Mapped[int | None] = mapped_column(Integer)  # None: the draft
    mode: Mapped[str] = mapped_column(String(16), nullable=False)  # workflow | chatflow
    # "debugging": the builder's run of the draft; "app-run": a published app's channel; "chat": the console's chat.
    triggered_from: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    app_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("apps.id", ondelete="CASCADE"))
    end_user: Mapped[str | None] = mapped_column(String(255))
    # A chatflow's turn: the conversation and the answer it gave (stored when the turn ends, so no foreign key).
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # running | succeeded | failed | stopped | paused | partial-succeeded
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="running")
    graph: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)  # as run: a resume runs the same graph
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    sys: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_time: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)  # seconds, over every resume
    total_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_steps: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The executor's RunState while paused for human input (what a resume starts from); None otherwise.
    state: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WorkflowNodeRun(Base):
    """One node's execution in a run (a node inside an iteration or loop has one per round)."""

    __tablename__ = "workflow_node_runs"
    __table_args__ = (Index("ix_workflow_node_runs_run_index", "run_id", "index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("workflow_runs.id", ondelete="CASCADE"), nullable=False)
    index: Mapped[int] = mapped_column(Integer, nullable=False)  # order of execution in the run, from 1
    node_id: Mapped[str] = mapped_column(String(64), nullable=False)
    node_type: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    predecessor_node_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), nullable=False)  # succeeded | failed | exception | stopped…
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    process_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    elapsed_time: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)  # seconds
    # Where it ran (iteration_id, iteration_index, loop_id, loop_index) and the attempt (retry_index).
    extras: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
