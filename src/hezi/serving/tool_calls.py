"""Tool calls in a local model's output: the worker's grammar makes the model write
`{"tool_calls": [{"name": …, "arguments": {…}}]}`; this reads it back.

While a tool may be called, output that starts like a tool call is held until it is complete and then given as
ToolCall events; output that turns out to be words is released as text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from hezi.serving.events import ChatEvent, TextDelta, ToolCall


def parse_tool_calls(text: str, names: list[str]) -> list[ToolCall] | None:
    """The tool calls in a finished output; None when the model answered in words."""
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    calls = data.get("tool_calls") if isinstance(data, dict) else None
    if not isinstance(calls, list) or not calls:
        return None
    out = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict) or call.get("name") not in names:
            return None
        arguments: Any = call.get("arguments", {})
        out.append(
            ToolCall(i, f"call_{uuid.uuid4().hex[:24]}", call["name"], json.dumps(arguments, ensure_ascii=False))
        )
    return out


class ToolCallReader:
    """Turns a stream of text pieces into text and tool-call events (see the module docstring)."""

    def __init__(self, tool_names: list[str]) -> None:
        self.tool_names = tool_names
        self.held: list[str] | None = [] if tool_names else None

    def feed(self, text: str) -> Iterator[ChatEvent]:
        if self.held is None:
            yield TextDelta(text)
            return
        self.held.append(text)
        so_far = "".join(self.held).lstrip()
        if so_far and not so_far.startswith("{"):  # plain words: stream them after all
            yield TextDelta("".join(self.held))
            self.held = None

    def finish(self) -> list[ChatEvent]:
        """What was held, once the output is complete: tool calls, or the text after all."""
        if not self.held:
            return []
        text, self.held = "".join(self.held), None
        calls = parse_tool_calls(text, self.tool_names)
        return list(calls) if calls else [TextDelta(text)]
