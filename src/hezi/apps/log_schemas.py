"""What the console sends and gets about an app's use: its logs (conversations and their messages), its
annotations and their setting, and its analytics per day."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

RatingFilter = Literal["like", "dislike", "any", "none"]


class LogFilter(BaseModel):
    """Which conversations: started within [start, end] (days in `tz`), of an end user whose name contains
    `end_user`, with an answer rated so, or a question or answer containing `q`."""

    start: date | None = None
    end: date | None = None
    tz: str = "UTC"
    end_user: str | None = None
    rating: RatingFilter | None = None
    annotated: bool | None = None
    q: str | None = None


class LogConversation(BaseModel):
    id: uuid.UUID
    title: str
    end_user: str | None
    agent_version: int | None
    messages: int = Field(description="answers given (a question and its answer count once, as in Dify)")
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    mean_latency_ms: float | None
    likes: int
    dislikes: int
    annotated: int = Field(description="answers given from an annotation, without the model")
    created_at: datetime
    updated_at: datetime


class LogConversations(BaseModel):
    data: list[LogConversation]
    count: int
    page: int
    limit: int


class LogAnnotation(BaseModel):
    id: uuid.UUID
    question: str | None = Field(description="the annotation's question (None: it was deleted since)")


class LogMessage(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    role: Literal["user", "assistant"]
    content: str
    status: str
    error: dict[str, Any] | None
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: int | None
    steps: list[dict[str, Any]] = Field(description="tool calls: tool, arguments, result or error, elapsed_ms")
    citations: list[dict[str, Any]] = Field(description="the knowledge passages retrieved and cited")
    rating: Literal["like", "dislike"] | None
    feedback: str | None
    annotation: LogAnnotation | None = Field(description="set when the answer was an annotation's")
    created_at: datetime


class LogConversationDetail(LogConversation):
    inputs: dict[str, Any]
    thread: list[LogMessage] = Field(description="every question and answer, oldest first")


# -- annotations -------------------------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class AnnotationCreate(BaseModel):
    """The ideal answer to a question; or, with `message_id`, a logged answer (and its question) kept as one —
    `question` and `answer` then default to the logged ones."""

    model_config = ConfigDict(extra="forbid")

    question: Text | None = None
    answer: Text | None = None
    message_id: uuid.UUID | None = None


class AnnotationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text | None = None
    answer: Text | None = None


class AnnotationPublic(BaseModel):
    id: uuid.UUID
    question: str
    answer: str
    hits: int = Field(description="answers given from it")
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class AnnotationsPublic(BaseModel):
    data: list[AnnotationPublic]
    count: int


class AnnotationSettingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    # Cosine similarity of the question and an annotation's question, from which the annotation answers.
    score_threshold: Annotated[float, Field(ge=0.5, le=1.0)] | None = None
    embedding_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class AnnotationSettingPublic(BaseModel):
    enabled: bool
    score_threshold: float
    embedding_model: str


# -- analytics ---------------------------------------------------------------------------------------------------


class AnalyticsDay(BaseModel):
    date: date
    conversations: int = Field(description="conversations started that day")
    messages: int = Field(description="answers given that day")
    end_users: int = Field(description="end users who asked something that day")
    tokens: int
    mean_latency_ms: float | None
    likes: int
    dislikes: int
    satisfaction: float | None = Field(description="likes / (likes + dislikes); None without either")
    annotated: int = Field(description="answers given from annotations")


class AnalyticsPublic(BaseModel):
    start: date
    end: date
    tz: str
    totals: AnalyticsDay = Field(description="the whole range (`date` is its start; end users counted once)")
    days: list[AnalyticsDay]
