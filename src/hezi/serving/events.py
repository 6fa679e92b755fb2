"""What a model answer is made of, as it streams: small frozen events every caller reads the same way.

Local workers and remote providers are normalised into these; each wire format (OpenAI, Dify, MCP) has one encoder
that turns them into its own chunks. Errors in the middle of a stream are raised, not sent as events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Started:
    """The model accepted the request and read its prompt."""

    prompt_tokens: int


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One complete tool call the model asked for; `arguments` is the JSON text the model produced."""

    index: int
    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> Any:
        return json.loads(self.arguments or "{}")

    def openai(self) -> dict[str, Any]:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def openai(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class Finished:
    """The last event: why generation stopped ("stop", "length", "tool_calls") and what it cost."""

    finish_reason: str
    usage: TokenUsage


ChatEvent = Started | TextDelta | ToolCall | Finished


@dataclass
class ChatResult:
    """A whole answer: what `ModelClient.chat` returns, and what a stream adds up to once it ends."""

    model: str
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    ttft_ms: int | None = None
    latency_ms: int = 0
