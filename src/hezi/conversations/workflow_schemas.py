"""API shapes of workflow runs: running a draft, resuming a paused run, checking a graph, and the runs with their
node traces."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hezi.agents.workflow_port import GraphProblem


class WorkflowRunRequest(BaseModel):
    """The builder's run of the draft: the Start node's inputs, and for a chatflow the question (sys.query)."""

    model_config = ConfigDict(extra="forbid")

    inputs: dict[str, Any] = Field(default_factory=dict)
    query: Annotated[str, StringConstraints(max_length=32_000)] = ""


class WorkflowResumeRequest(BaseModel):
    """What a person gave a Human input node: its form's values, and the action (button) they chose."""

    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any] = Field(default_factory=dict)
    action: Annotated[str, StringConstraints(max_length=64)] | None = None


class WorkflowValidateRequest(BaseModel):
    """A graph to check without saving it (hezi.workflows.graph.Graph as JSON)."""

    model_config = ConfigDict(extra="forbid")

    graph: dict[str, Any]


class ProblemsPublic(BaseModel):
    problems: list[GraphProblem]
    count: int


class NodeRunPublic(BaseModel):
    id: uuid.UUID
    index: int
    node_id: str
    node_type: str
    title: str
    predecessor_node_id: str | None
    status: str
    inputs: dict[str, Any] | None
    process_data: dict[str, Any] | None
    outputs: dict[str, Any] | None
    error: str | None
    tokens: int
    elapsed_time: float  # seconds
    extras: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


class WorkflowRunPublic(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    agent_version: int | None  # None: the draft
    mode: str
    triggered_from: str  # debugging | chat | app-run
    status: str  # running | succeeded | failed | stopped | paused | partial-succeeded
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    error: str | None
    elapsed_time: float  # seconds
    total_tokens: int
    total_steps: int
    user_id: uuid.UUID | None
    app_id: uuid.UUID | None
    end_user: str | None
    conversation_id: uuid.UUID | None
    message_id: uuid.UUID | None
    created_at: datetime
    finished_at: datetime | None


class WorkflowRunsPublic(BaseModel):
    data: list[WorkflowRunPublic]
    count: int  # runs of the agent in all


class WorkflowRunDetail(WorkflowRunPublic):
    graph: dict[str, Any]  # as it ran
    nodes: list[NodeRunPublic]  # in the order they started
