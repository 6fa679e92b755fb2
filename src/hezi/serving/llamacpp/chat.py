"""From an OpenAI-style chat request to a prompt and an output grammar, using the model's own template.

Kept free of llama.cpp calls (the engine tokenizes) so it can be tested on its own. JSON output modes are
enforced by a GBNF grammar, so even a tiny model can only produce valid JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

from llama_cpp.llama_chat_format import Jinja2ChatFormatter
from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

# Used when a GGUF carries no chat template: ChatML, which most small instruct models were tuned on.
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class ChatError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class PreparedChat:
    prompt: str
    add_special: bool
    grammar: str | None = None
    stop: list[str] = field(default_factory=list)
    # Set when the output must be parsed as a tool call: the names the model may call.
    tool_names: list[str] = field(default_factory=list)


def content_text(content: Any) -> str:
    """OpenAI content may be a string or a list of parts; only text parts are read."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            else:
                raise ChatError("unsupported_content", "Only text content parts are supported by this model.")
        return "".join(parts)
    raise ChatError("invalid_messages", "Message content must be a string or a list of text parts.")


def _messages_for_template(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        role = m.get("role")
        if role not in ("system", "user", "assistant", "tool", "developer"):
            raise ChatError("invalid_messages", f"Unknown message role {role!r}.")
        text = content_text(m.get("content"))
        if role == "developer":
            role = "system"
        if role == "assistant" and m.get("tool_calls"):
            calls = [
                {
                    "name": c["function"]["name"],
                    "arguments": json.loads(c["function"].get("arguments") or "{}"),
                }
                for c in m["tool_calls"]
            ]
            text = (text + "\n" if text else "") + json.dumps({"tool_calls": calls}, ensure_ascii=False)
        if role == "tool":
            # Templates without tool support drop this role; give the result to the model as a user turn.
            role, text = "user", f"Tool result ({m.get('tool_call_id', '')}): {text}"
        out.append({"role": role, "content": text})
    return out


def tool_grammar(tools: list[dict[str, Any]], *, required: bool) -> str:
    """A grammar for `{"tool_calls": [{"name": …, "arguments": {…}}]}` over the given functions."""
    alternatives = []
    for tool in tools:
        fn = tool["function"]
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        alternatives.append(
            {
                "type": "object",
                "properties": {"name": {"const": fn["name"]}, "arguments": params},
                "required": ["name", "arguments"],
            }
        )
    call = alternatives[0] if len(alternatives) == 1 else {"oneOf": alternatives}
    schema = {
        "type": "object",
        "properties": {"tool_calls": {"type": "array", "items": call, "minItems": 1, "maxItems": 4}},
        "required": ["tool_calls"],
    }
    calls = schema_grammar(schema)
    if required:
        return calls
    # "auto": either a tool call, or an answer in plain words that does not start with "{".
    return calls.replace("root ::=", "tool-call ::=", 1) + "\nroot ::= tool-call | [^{\\x00] [^\\x00]*\n"


def schema_grammar(schema: dict[str, Any]) -> str:
    try:
        return str(json_schema_to_gbnf(json.dumps(schema)))
    except Exception as exc:  # the converter raises several kinds; all mean "this schema can't be used"
        raise ChatError("invalid_json_schema", f"The JSON schema cannot be used: {exc}") from exc


def prepare(request: dict[str, Any], *, template: str | None, bos: str, eos: str) -> PreparedChat:
    """Render the chat with the model's template and work out the grammar for JSON or tool output."""
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatError("invalid_messages", "'messages' must be a non-empty list.")
    tools = request.get("tools") or []
    tool_choice = request.get("tool_choice", "auto" if tools else "none")
    grammar: str | None = None
    tool_names: list[str] = []
    chat = _messages_for_template(messages)

    if tools and tool_choice != "none":
        if isinstance(tool_choice, dict):
            name = tool_choice.get("function", {}).get("name")
            tools = [t for t in tools if t.get("function", {}).get("name") == name]
            if not tools:
                raise ChatError("invalid_tool_choice", f"tool_choice names {name!r}, which is not in 'tools'.")
            required = True
        else:
            required = tool_choice == "required"
        grammar = tool_grammar(tools, required=required)
        tool_names = [t["function"]["name"] for t in tools]
        chat = [{"role": "system", "content": _tools_instruction(tools, required)}, *chat]

    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_object":
        grammar = JSON_GBNF
    elif fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ChatError("invalid_json_schema", "response_format.json_schema.schema must be an object.")
        grammar = schema_grammar(schema)
    elif fmt.get("type") not in (None, "text"):
        raise ChatError("invalid_response_format", f"Unknown response_format type {fmt.get('type')!r}.")

    formatter = Jinja2ChatFormatter(template or CHATML, eos_token=eos, bos_token=bos)
    try:
        rendered = formatter(messages=cast(Any, chat))
    except Exception as exc:  # a template can raise anything, including its own raise_exception()
        raise ChatError("template_error", f"The model's chat template rejected these messages: {exc}") from exc
    stop = rendered.stop if isinstance(rendered.stop, list) else ([rendered.stop] if rendered.stop else [])
    return PreparedChat(
        prompt=rendered.prompt,
        add_special=not rendered.added_special,
        grammar=grammar,
        stop=[s for s in stop if s],
        tool_names=tool_names,
    )


def _tools_instruction(tools: list[dict[str, Any]], required: bool) -> str:
    lines = ["You can call these functions:"]
    for t in tools:
        fn = t["function"]
        lines.append(
            f"- {fn['name']}: {fn.get('description', '')} Parameters (JSON schema): "
            f"{json.dumps(fn.get('parameters') or {}, ensure_ascii=False)}"
        )
    how = 'To call one, answer only with JSON: {"tool_calls": [{"name": "…", "arguments": {…}}]}.'
    lines.append(how if required else how + " Otherwise answer normally.")
    return "\n".join(lines)
