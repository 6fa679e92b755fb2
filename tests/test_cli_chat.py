"""`hezi chat` against a running server: one answer with its sources for scripts, or a conversation line by line."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import LiveServer
from tests.conversations.chat import make_agent
from tests.helpers import Api, unique
from tests.knowledge.test_knowledge_api import add_text


def hezi_chat(server: LiveServer, key: str, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEZI_URL": server.url, "HEZI_API_KEY": key, "HEZI_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "hezi", "chat", *args], env=env, capture_output=True, text=True, input=input, timeout=300
    )


def _workspace_with_key(api: Api) -> tuple[str, str]:
    ws = str(api.create_workspace()["id"])
    return ws, str(api.create_key(ws)["key"])


def test_one_answer_with_numbered_sources(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws, key = _workspace_with_key(api)
    kb = api.create_knowledge_base(ws, name=unique("faq"))
    add_text(api, kb, "returns.txt", "Goods can be returned within 30 days with the receipt.")
    agent = make_agent(api, ws, knowledge={"knowledge_base_ids": [kb["id"]], "retrieval": {"top_k": 1}})

    done = hezi_chat(model_server, key, agent["name"], "--preview", "-m", "How many days do I have to return goods?")
    assert done.returncode == 0, done.stderr
    answer, _, sources = done.stdout.rpartition("\n\n")
    assert answer.strip()
    assert sources.strip() == f"[1] returns.txt ({kb['name']})"

    missing = hezi_chat(model_server, key, "no-such-agent", "-m", "hi")
    assert missing.returncode != 0 and "no agent named 'no-such-agent'" in missing.stderr


def test_a_conversation_line_by_line_keeps_its_history(model_server: LiveServer) -> None:
    api = model_server.admin()
    ws, key = _workspace_with_key(api)
    agent = make_agent(api, ws, tools=[{"provider": "builtin", "name": "calculator"}])
    done = hezi_chat(model_server, key, agent["name"], "--preview", input="What is 1234 * 5678?\nThank you!\n/exit\n")
    assert done.returncode == 0, done.stderr
    assert "calculator(" in done.stderr and "7006652" in done.stderr  # the tool step, on stderr
    conversations = api.get(f"/api/workspaces/{ws}/conversations", params={"agent_id": agent["id"]}).json()
    assert conversations["count"] == 1  # both questions went into one conversation
    detail = api.get(f"/api/workspaces/{ws}/conversations/{conversations['data'][0]['id']}").json()
    assert [m["content"] for m in detail["messages"] if m["role"] == "user"] == ["What is 1234 * 5678?", "Thank you!"]
