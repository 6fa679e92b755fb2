"""The words hezi adds around an agent's own prompt: knowledge passages to cite, and the tool decision for models
that have no tool-call template. Kept short: the bundled model reads a few hundred tokens at best."""

from __future__ import annotations

import json
from collections.abc import Sequence

from hezi.agents.events import Citation, StepFinished
from hezi.agents.tools.base import Tool

PASSAGE_CHARS = 1200


def knowledge_block(citations: Sequence[Citation], *, cite: bool) -> str:
    """The retrieved passages as a system-prompt section, numbered as the answer cites them."""
    if not citations:
        return ""
    lines = ["Use these passages to answer:"]
    for c in citations:
        text = c.text if len(c.text) <= PASSAGE_CHARS else c.text[:PASSAGE_CHARS] + "…"
        lines.append(f"[{c.n}] ({c.document_name}) {text}")
    if cite:
        lines.append("Cite the passages you use as [1], [2].")
    return "\n".join(lines)


def decision_messages(tools: Sequence[Tool], question: str, done: Sequence[StepFinished]) -> list[dict[str, str]]:
    """A short conversation of its own that asks which tool, if any, the question needs next.

    Only the question and the calls already made, not the agent's prompt or history: on the bundled 135M model this
    framing picked the right tool (or none) for 6 of 8 mixed questions, the question at the end of the whole chat
    for 1 of 8 (it always said none)."""
    listing = "\n".join(f"- {t.name}: {t.description}" for t in tools)
    system = f"Pick the tool for the user's message.\n{listing}\n- none: no tool needed (greetings, facts, writing)."
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    messages += _done(done)
    return messages


def decision_schema(tools: Sequence[Tool]) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {"tool": {"enum": [t.name for t in tools] + ["none"]}},
        "required": ["tool"],
    }


def call_messages(tool: Tool, question: str, done: Sequence[StepFinished]) -> list[dict[str, str]]:
    """A short conversation that has the model write one tool's arguments (its schema forces their form)."""
    system = f"Call the tool {tool.name}: {tool.description} Take its arguments from the user's message."
    messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    messages += _done(done)
    return messages


def results_block(done: Sequence[StepFinished]) -> str:
    """The tools' results as a system-prompt section for the answer (a small model copies raw tool-call JSON
    from a transcript into its answer; told the results in words, it uses them)."""
    if not done:
        return ""
    lines = ["Tool results (use them in your answer):"]
    for step in done:
        args = json.dumps(step.arguments, ensure_ascii=False)
        outcome = step.result if step.error is None else f"failed: {step.error}"
        lines.append(f"- {step.tool}({args}) = {(outcome or '')[:2000]}")
    return "\n".join(lines)


def _done(done: Sequence[StepFinished]) -> list[dict[str, str]]:
    out = []
    for step in done:
        outcome = step.result if step.error is None else f"error: {step.error}"
        args = json.dumps(step.arguments, ensure_ascii=False)
        out.append({"role": "user", "content": f"Already done: {step.tool}({args}) → {(outcome or '')[:300]}"})
    return out
