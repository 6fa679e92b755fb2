"""`hezi chat AGENT`: talk to an agent from a terminal, over the running server's chat API.

With `-m QUESTION` it prints one answer on stdout (streamed as it comes), then the numbered sources it cites, and
exits non-zero if the answer failed — for scripts. Without it, it reads questions line by line and keeps them in one
conversation (`/new` starts another, `/exit` or end of input leaves). Tool steps go to stderr, so stdout carries only
the answer and its sources.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import typer

from hezi.cli_client import ApiError, Client

CHAT_TIMEOUT = 600.0


class Printer:
    """Writes a turn's events: answer text to `out`, steps and errors to `err`."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out = out
        self.err = err
        self.error: str | None = None
        self.conversation_id: str | None = None
        self.citations: list[dict[str, Any]] = []
        self.ended_line = True

    def event(self, e: dict[str, Any]) -> None:
        kind = e.get("event")
        if kind == "start":
            self.conversation_id = e["conversation_id"]
        elif kind == "text":
            self.out.write(e["text"])
            self.out.flush()
            self.ended_line = e["text"].endswith("\n")
        elif kind == "step_end":
            s = e["step"]
            args = json.dumps(s["arguments"], ensure_ascii=False)
            outcome = f"error: {s['error']}" if s["error"] else _short(s["result"] or "")
            self.err.write(f"· {s['tool']}({args}) → {outcome}  [{s['elapsed_ms']} ms]\n")
            self.err.flush()
        elif kind == "citations":
            self.citations = e["citations"]
        elif kind == "end":
            self.citations = e["message"].get("citations") or self.citations
        elif kind == "error":
            self.error = str(e.get("message") or e.get("code"))

    def finish(self) -> None:
        if not self.ended_line:
            self.out.write("\n")
        if self.citations:
            self.out.write("\n")
            for c in self.citations:
                self.out.write(f"[{c['n']}] {c['document_name']} ({c['knowledge_base_name']})\n")
        self.out.flush()
        if self.error:
            self.err.write(f"error: {self.error}\n")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ask(client: Client, agent_id: str, question: str, conversation_id: str | None, preview: bool) -> Printer:
    """One turn, printed as it streams."""
    printer = Printer(sys.stdout, sys.stderr)
    body: dict[str, Any] = {"query": question, "conversation_id": conversation_id, "preview": preview}
    path = client.workspace_path(f"/agents/{agent_id}/chat")
    with client.stream("POST", path, json=body, timeout=CHAT_TIMEOUT) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                printer.event(json.loads(line[6:]))
    printer.finish()
    return printer


def one_answer(client: Client, agent_id: str, question: str, preview: bool) -> None:
    if ask(client, agent_id, question, None, preview).error:
        raise typer.Exit(1)


def interactive(client: Client, agent_id: str, name: str, preview: bool) -> None:
    typer.echo(f"Chatting with {name}. /new starts a new conversation, /exit (or Ctrl-D) leaves.", err=True)
    conversation: str | None = None
    while True:
        try:
            question = input("> " if sys.stdin.isatty() else "")
        except EOFError:
            return
        question = question.strip()
        if not question:
            continue
        if question in ("/exit", "/quit"):
            return
        if question == "/new":
            conversation = None
            typer.echo("(a new conversation)", err=True)
            continue
        try:
            printer = ask(client, agent_id, question, conversation, preview)
        except ApiError as exc:  # one failed turn does not end the session
            typer.echo(f"error: {exc.message}", err=True)
            continue
        conversation = printer.conversation_id or conversation
