"""Publishing an agent computes its opening prompt ahead in its model's worker (a pinned prefix); its users' first
turns copy it; the console's Models page and /metrics count it; a worker that restarts computes it again. The
agent runs on a deployment of its own (a copy of the bundled model), so killing its worker disturbs no other
test and no other test's publishing takes its pinned prefix."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.conversations.chat import answer_of, ask, make_agent
from tests.helpers import Api, wait_for, wait_model_ready, worker_health
from tests.serving.test_restart_wait import own_copy

RULES = (
    "You are the front desk of the city library. Opening hours: Monday to Friday 9:00-20:00, Saturday "
    "10:00-16:00, closed on Sundays and public holidays. Members may borrow up to 12 items for 3 weeks and renew "
    "twice online unless someone reserved the item. Late returns cost 0.20 per item per day, capped at 6.00. "
) * 3


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def model(admin: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    model = own_copy(admin, tmp_path_factory.mktemp("prefix-warming"))
    spec = {"context_size": 1024, "parallel": 2, "threads": 1, "pinned_prefixes": 1, "kv_unified": True}
    r = admin.put(f"/api/models/{model['id']}/deployment", json=spec)
    assert r.status_code == 200, r.text
    assert r.json()["deployment"]["pinned_prefixes"] == 1 and r.json()["deployment"]["kv_unified"] is True
    wait_model_ready(admin, model["name"])
    yield model
    admin.delete(f"/api/models/{model['id']}")


def health(server: LiveServer, name: str) -> dict[str, Any]:
    """The worker's own /health; {} while it is down (just killed, its supervisor not yet told)."""
    try:
        reps = worker_health(server.app, name)
    except httpx.TransportError:
        return {}
    return reps[0] if reps else {}


def test_a_published_agent_is_computed_ahead_and_again_after_a_restart(
    model_server: LiveServer, admin: Api, model: dict[str, Any]
) -> None:
    ws = admin.default_workspace()
    name = model["name"]
    agent = make_agent(admin, ws, model=name, system_prompt=RULES)
    key = f"agent:{agent['id']}:0"  # no tools: the answer's system prompt is its one opening prompt
    before = health(model_server, name)
    assert before["pinned_keys"] == [] and before["kv_unified"] is True  # a draft is not warmed
    assert before["flash_attn"] is True  # unified, a batch attends over the whole cache: no score matrix that wide
    r = admin.post(f"/api/workspaces/{ws}/agents/{agent['id']}/publish")
    assert r.status_code == 201, r.text
    warm = wait_for(
        lambda: (h := health(model_server, name)) and h["pinned_keys"] == [key] and h["warmed"] == 1 and h,
        "the published agent's prompt to be computed in its worker",
    )
    assert warm["pinned_tokens"] > 150 and warm["pinned_bytes"] == warm["pinned_tokens"] * (
        warm["pinned_reserved_bytes"] // warm["context_per_sequence"]
    )

    reply = answer_of(ask(admin, ws, agent["id"], "Are you open on Sunday?"))
    assert reply["status"] == "ok" and reply["content"].strip()
    after = health(model_server, name)
    # All of it but the generation prompt the worker renders after a lone system message (3 tokens here), where
    # the user's message comes instead.
    assert after["pinned_hits"] == 1 and after["tokens_copied"] >= warm["pinned_tokens"] - 3

    # The Models page and /metrics say so.
    shown = admin.get(f"/api/models/{model['id']}").json()["deployment"]["prefix_cache"]
    assert shown["pinned"] == 1 and shown["pinned_capacity"] == 1 and shown["pinned_hits"] == 1
    assert shown["warmed"] == 1 and shown["tokens_copied"] == after["tokens_copied"]
    assert shown["pinned_bytes"] == warm["pinned_bytes"] and shown["pinned_reserved_bytes"] > shown["pinned_bytes"]
    metrics = admin.get("/metrics").text
    assert f'hezi_pinned_prefixes{{model="{name}"}} 1.0' in metrics
    assert f'hezi_prefix_cache_hits_total{{model="{name}",source="pinned"}} 1.0' in metrics

    # A worker that dies comes back with the prefix computed again, before anyone asks.
    os.kill(after["pid"], signal.SIGKILL)
    again = wait_for(
        lambda: (h := health(model_server, name)) and h["pid"] != after["pid"] and h["warmed"] == 1 and h,
        "the restarted worker to compute the prefix again",
        timeout=120,
    )
    assert again["pinned_keys"] == [key] and again["pinned_tokens"] == warm["pinned_tokens"]


def test_a_published_chatflow_has_its_llm_prompt_computed_ahead(
    model_server: LiveServer, admin: Api, model: dict[str, Any]
) -> None:
    """A chatflow's LLM node: its system prompt up to the first variable is computed on publish (replacing the
    agent's pin, the least recently used of one) and its first run copies it."""
    ws = admin.default_workspace()
    name = model["name"]
    llm = {"model": {"provider": "", "name": name, "mode": "chat", "completion_params": {"max_tokens": 8,
           "temperature": 0}}, "prompt_template": [
           {"role": "system", "text": RULES + "The member asks: {{#sys.query#}}"},
           {"role": "user", "text": "{{#sys.query#}}"}]}  # fmt: skip
    graph = {"mode": "chatflow", "edges": [
        {"id": "e1", "source": "start", "target": "llm"}, {"id": "e2", "source": "llm", "target": "answer"}],
        "nodes": [{"id": "start", "type": "start", "data": {"variables": []}},
                  {"id": "llm", "type": "llm", "data": llm},
                  {"id": "answer", "type": "answer", "data": {"answer": "{{#llm.text#}}"}}]}  # fmt: skip
    r = admin.post(f"/api/workspaces/{ws}/agents", json={"name": "desk", "config": {"mode": "chatflow",
                                                                                 "workflow": graph}})  # fmt: skip
    assert r.status_code == 201, r.text
    flow = r.json()
    key = f"agent:{flow['id']}:0"
    before = health(model_server, name)
    r = admin.post(f"/api/workspaces/{ws}/agents/{flow['id']}/publish")
    assert r.status_code == 201, r.text
    warm = wait_for(
        lambda: (
            (h := health(model_server, name)) and h["pinned_keys"] == [key] and h["warmed"] > before["warmed"] and h
        ),
        "the published chatflow's prompt to be computed in its worker",
    )
    assert warm["evicted"] == before["evicted"] + 1 and warm["pinned_tokens"] > 150

    reply = answer_of(ask(admin, ws, flow["id"], "Are you open on Sunday?"))
    assert reply["status"] == "ok" and reply["content"].strip()
    after = health(model_server, name)
    # All of the warmed prompt but what follows the fixed part there: the end of the system message and the
    # generation prompt (5 tokens), and a token the fixed part's end may share with the question.
    assert after["pinned_hits"] == warm["pinned_hits"] + 1
    assert after["tokens_copied"] - warm["tokens_copied"] >= warm["pinned_tokens"] - 8
