"""API shapes of conversations and chat (docs/agents-api.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


FieldName = Annotated[str, StringConstraints(max_length=64)]
FieldText = Annotated[str, StringConstraints(max_length=20000)]


class HumanInputReply(BaseModel):
    """A person's answer to the form a paused chatflow answer shows: the button chosen and the fields' values."""

    model_config = ConfigDict(extra="forbid")

    action: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="the id of the user action (button) chosen; default the form's first"
    )
    values: dict[FieldName, FieldText] = Field(
        default_factory=dict, max_length=50, description="output_variable_name → text"
    )


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Question
    conversation_id: uuid.UUID | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    preview: bool = Field(
        default=False, description="talk to the draft (the builder's preview), not the latest version"
    )
    edit_of: uuid.UUID | None = Field(default=None, description="a question to edit: the new one becomes its sibling")
    parent_id: uuid.UUID | None = Field(default=None, description="the message the question follows (default: head)")
    files: list[uuid.UUID] = Field(default_factory=list, max_length=5)
    human_input: HumanInputReply | None = Field(
        default=None,
        description="answers the form of the paused answer this question follows; the workflow goes on from there",
    )


class RegenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["like", "dislike"] | None
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RenameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class HeadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: uuid.UUID


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class MessagePublic(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    parent_id: uuid.UUID | None
    role: Literal["user", "assistant"]
    content: str
    status: Literal["ok", "error", "stopped", "paused"]
    error: dict[str, Any] | None
    steps: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    files: list[dict[str, Any]]
    suggested: list[str]
    model: str | None
    usage: Usage
    latency_ms: int | None
    rating: Literal["like", "dislike"] | None
    feedback: str | None
    created_at: datetime
    siblings: list[uuid.UUID] = Field(default_factory=list)
    workflow_run_id: uuid.UUID | None = None  # the run that gave a workflow agent's answer
    # What a paused chatflow answer waits for (status "paused"): the human-input node's form, answered by sending
    # the next question with `human_input`.
    form: dict[str, Any] | None = None


class ConversationPublic(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    agent_version: int | None
    title: str
    created_at: datetime
    updated_at: datetime


class ConversationsPublic(BaseModel):
    data: list[ConversationPublic]
    count: int


class ConversationDetail(ConversationPublic):
    inputs: dict[str, Any]
    messages: list[MessagePublic]


class ChatFilePublic(BaseModel):
    id: uuid.UUID
    name: str
    size: int
    chars: int
