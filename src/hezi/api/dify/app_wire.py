"""hezi's chat events, said the way Dify's service API says them (`/v1/chat-messages`): `message` or, for an
agent with tools, `agent_message` text deltas, `agent_thought` for each tool call, `message_end` with usage and
the passages cited (`retriever_resources`), `error`. Blocking mode answers the same turn as one JSON object.

Dify's clients validate these with pydantic (dify-client-python): `mode` is "chat", and usage carries Dify's price
fields, which hezi, metering tokens only, reports as zero."""

from __future__ import annotations

import asyncio
import json
import mimetypes
import time
from collections.abc import AsyncIterator
from typing import Any

from hezi.agents.spec import FIELD_KINDS


def _usage(message: dict[str, Any]) -> dict[str, Any]:
    usage = message.get("usage") or {}
    prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    zero = "0"
    return {
        "prompt_tokens": prompt, "prompt_unit_price": zero, "prompt_price_unit": zero, "prompt_price": zero,
        "completion_tokens": completion, "completion_unit_price": zero, "completion_price_unit": zero,
        "completion_price": zero, "total_tokens": prompt + completion, "total_price": zero, "currency": "USD",
        "latency": round((message.get("latency_ms") or 0) / 1000, 3),
    }  # fmt: skip


def _resources(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "position": c["n"],
            "dataset_id": c["knowledge_base_id"],
            "dataset_name": c["knowledge_base_name"],
            "document_id": c["document_id"],
            "document_name": c["document_name"],
            "segment_id": str(c["chunk_id"]),
            "score": c["score"],
            "content": c["text"],
        }
        for c in citations
    ]


class DifyTurn:
    """One turn's events in Dify's words. Feed hezi's events in order; each gives zero or more Dify events."""

    def __init__(self, *, agent: bool, mode: str = "chat") -> None:
        self.mode = mode
        self.text_event = "agent_message" if agent else "message"
        self.ids: dict[str, str] = {}
        self.created_at = int(time.time())
        self.answer: list[str] = []
        self.message: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self.annotation: dict[str, Any] | None = None  # the app's annotation given as the answer, if one was

    def _head(self) -> dict[str, Any]:
        return {
            "task_id": self.ids.get("task_id", ""),
            "id": self.ids.get("message_id", ""),
            "message_id": self.ids.get("message_id", ""),
            "conversation_id": self.ids.get("conversation_id", ""),
            "created_at": self.created_at,
        }

    def feed(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = event["event"]
        if kind == "start":
            self.ids = {k: event[k] for k in ("task_id", "message_id", "conversation_id")}
            return []
        if kind == "annotation":  # Dify says the annotation's text as `message` and names it in the metadata
            self.annotation, self.text_event = event["annotation"], "message"
            return []
        if kind == "text":
            self.answer.append(event["text"])
            return [{"event": self.text_event, **self._head(), "answer": event["text"]}]
        if kind in ("step_start", "step_end"):
            step = event["step"]
            return [{
                "event": "agent_thought", **self._head(), "id": f"{self.ids.get('message_id', '')}-{step['index']}",
                "position": int(step["index"]) + 1, "thought": "", "tool": step["tool"],
                "tool_input": json.dumps(step.get("arguments"), ensure_ascii=False),
                "observation": (step.get("result") or step.get("error") or "") if kind == "step_end" else "",
                "message_files": [],
            }]  # fmt: skip
        if kind == "workflow":  # a chatflow's run, around its message events (its text comes as those)
            if event["name"] in ("text_chunk", "error"):
                return []
            head = {k: v for k, v in self._head().items() if k != "id"}
            return [{"event": event["name"], **head, "workflow_run_id": event["workflow_run_id"],
                     "data": event["data"]}]  # fmt: skip
        if kind == "error":
            self.error = {"code": event.get("code", "internal_error"), "message": event.get("message", "")}
            return [{"event": "error", **self._head(), "status": 500, **self.error}]
        if kind == "end":
            self.message = event["message"]
            return [{"event": "message_end", **self._head(), "metadata": self.metadata()}]
        return []  # citations arrive with the end

    def metadata(self) -> dict[str, Any]:
        message = self.message or {}
        meta = {"usage": _usage(message), "retriever_resources": _resources(message.get("citations") or [])}
        if self.annotation is not None:
            meta["annotation_reply"] = {"id": self.annotation["id"], "account": self.annotation["account"]}
        return meta

    def blocking(self) -> dict[str, Any]:
        """The whole answer, as Dify's blocking mode returns it."""
        answer = self.message["content"] if self.message else "".join(self.answer)
        return {"event": "message", **self._head(), "mode": self.mode, "answer": answer, "metadata": self.metadata()}


def conversation(conv: Any) -> dict[str, Any]:
    """A conversation as Dify lists it."""
    return {
        "id": str(conv.id), "name": conv.title, "inputs": conv.inputs, "status": "normal", "introduction": "",
        "created_at": int(conv.created_at.timestamp()), "updated_at": int(conv.updated_at.timestamp()),
    }  # fmt: skip


def exchange(question: Any, answer: Any) -> dict[str, Any]:
    """A question and its answer as one Dify message (named by the answer's id, as chat-messages returned it)."""
    thoughts = [
        {
            "id": f"{answer.id}-{s['index']}",
            "message_id": str(answer.id),
            "position": int(s["index"]) + 1,
            "thought": "",
            "tool": s["tool"],
            "tool_input": json.dumps(s.get("arguments"), ensure_ascii=False),
            "observation": s.get("result") or s.get("error") or "",
            "files": [],
            "created_at": int(answer.created_at.timestamp()),
        }
        for s in answer.steps
    ]
    return {
        "id": str(answer.id), "conversation_id": str(answer.conversation_id),
        "parent_message_id": str(question.parent_id) if question.parent_id else None,
        "inputs": {}, "query": question.content, "answer": answer.content,
        "message_files": [{"id": f["id"], "filename": f["name"], "type": "document", "url": "", "belongs_to": "user"}
                          for f in question.files or []],
        "feedback": {"rating": answer.rating} if answer.rating else None,
        "retriever_resources": _resources(answer.citations or []), "agent_thoughts": thoughts,
        "created_at": int(question.created_at.timestamp()),
        "status": "normal" if answer.status == "ok" else answer.status, "error": (answer.error or {}).get("message"),
    }  # fmt: skip


def sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def variable(v: Any) -> dict[str, Any]:
    """A conversation variable as Dify lists it (`Variable` of conversations.app_conversations)."""
    if v.kind in FIELD_KINDS:  # an input form's field (a chatflow's number too: the same answer)
        value_type = "number" if v.kind == "number" else "string"
        value = "" if v.value is None else str(v.value)
    else:  # a chatflow's conversation variable: its declared type; objects and arrays as JSON, as Dify sends them
        value_type = v.kind
        value = v.value if isinstance(v.value, str) else json.dumps(v.value, ensure_ascii=False)
    return {
        "id": str(v.id), "name": v.name, "value_type": value_type, "value": value, "description": v.label,
        "created_at": int(v.conversation.created_at.timestamp()),
        "updated_at": int(v.conversation.updated_at.timestamp()),
    }  # fmt: skip


PING_EVERY = 10.0  # seconds of silence before a ping, as Dify keeps its streams alive through proxies
PING = b"event: ping\n\n"


async def with_pings(
    events: AsyncIterator[dict[str, Any]], every: float = PING_EVERY
) -> AsyncIterator[dict[str, Any] | None]:
    """The events, with None wherever `every` seconds passed without one (a long tool call, a slow model).

    One task reads the turn into a queue and a timer queues a ping when it is quiet: nothing is created per event
    (a task and a timed wait per event cost more than the rest of Dify's route). When the client goes away the
    reader task is cancelled, which ends the turn (and stores it) as if it had been read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def read() -> None:
        try:
            async for event in events:
                queue.put_nowait(("event", event))
        except Exception as exc:  # the consumer raises it, as iterating the events would have
            queue.put_nowait(("error", exc))
        else:
            queue.put_nowait(("end", None))

    reader = loop.create_task(read())
    timer: asyncio.TimerHandle | None = None
    try:
        while True:
            timer = loop.call_later(every, queue.put_nowait, ("ping", None))
            kind, value = await queue.get()
            timer.cancel()
            if kind == "ping":
                yield None
            elif kind == "event":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        if timer is not None:
            timer.cancel()
        if not reader.done():
            reader.cancel()  # the client left mid-turn: the turn ends (and is stored) as if it had been read


def uploaded(row: Any, user: str) -> dict[str, Any]:
    """An uploaded file as Dify's /files/upload answers (a ChatFile)."""
    extension = row.name.rsplit(".", 1)[-1].lower() if "." in row.name else ""
    return {
        "id": str(row.id), "name": row.name, "size": row.size_bytes, "extension": extension,
        "mime_type": mimetypes.guess_type(row.name)[0] or "application/octet-stream", "created_by": user,
        "created_at": int(row.created_at.timestamp()),
    }  # fmt: skip
