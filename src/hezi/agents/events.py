"""What an agent run is made of, as it happens: small frozen events the chat and the APIs encode.

Answer text comes as serving's TextDelta, so an encoder that knows model events knows agent text too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hezi.serving.events import TextDelta, TokenUsage


@dataclass(frozen=True, slots=True)
class Citation:
    """A passage the answer may cite as [n]."""

    n: int
    knowledge_base_id: str
    knowledge_base_name: str
    document_id: str
    document_name: str
    chunk_id: int
    text: str
    score: float

    def public(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "knowledge_base_id": self.knowledge_base_id,
            "knowledge_base_name": self.knowledge_base_name,
            "document_id": self.document_id,
            "document_name": self.document_name,
            "chunk_id": self.chunk_id,
            "text": self.text,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class StepStarted:
    index: int
    tool: str
    arguments: Any


@dataclass(frozen=True, slots=True)
class StepFinished:
    """A tool call done: its result as the model saw it, or the error it was shown."""

    index: int
    tool: str
    arguments: Any
    result: str | None
    error: str | None
    elapsed_ms: int
    tokens: int  # tokens the model spent deciding on and writing this call

    def public(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "tool": self.tool,
            "arguments": self.arguments,
            "result": self.result,
            "error": self.error,
            "elapsed_ms": self.elapsed_ms,
            "tokens": self.tokens,
        }


@dataclass(frozen=True, slots=True)
class CitationsFound:
    citations: tuple[Citation, ...]


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The last event of a run: the whole answer and what it cost."""

    text: str
    model: str
    finish_reason: str
    usage: TokenUsage
    steps: tuple[StepFinished, ...] = ()
    citations: tuple[Citation, ...] = ()
    model_calls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


AgentEvent = TextDelta | StepStarted | StepFinished | CitationsFound | RunFinished
