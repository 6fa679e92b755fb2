"""Worker processes under stress: killed mid-stream, many streams at once, full queues, clients leaving."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import time
from typing import Any

import httpx
import openai
import psycopg
import pytest

from hezi.serving.bundled import SMOLLM2_NAME
from tests.conftest import LiveServer
from tests.helpers import Api, wait_for, worker_health

MODEL = SMOLLM2_NAME


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def key(admin: Api) -> dict[str, Any]:
    return admin.create_key(admin.default_workspace(), name="worker tests")


@pytest.fixture(scope="module")
def client(model_server: LiveServer, key: dict[str, Any]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=key["key"], max_retries=0, timeout=120)


def chat_model(admin: Api) -> dict[str, Any]:
    return next(m for m in admin.get("/api/models").json()["data"] if m["name"] == MODEL)


def wait_ready(admin: Api, timeout: float = 60, *, replaced_pid: int | None = None) -> dict[str, Any]:
    """The chat model once ready again (and, with `replaced_pid`, served by a new process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = chat_model(admin)
        instance = model["deployment"]["instances"][0]
        if model["deployment"]["status"] == "ready" and instance["pid"] != replaced_pid:
            return model
        time.sleep(0.2)
    raise AssertionError(f"the model did not come back: {chat_model(admin)['deployment']}")


def test_killing_a_worker_mid_stream_ends_that_stream_and_it_comes_back(admin: Api, client: openai.OpenAI) -> None:
    before = wait_ready(admin)["deployment"]["instances"][0]
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Count slowly from one to one hundred."}],
        max_tokens=400, temperature=0, stream=True,
    )  # fmt: skip
    got = []
    with pytest.raises(openai.APIError) as err:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                got.append(chunk.choices[0].delta.content)
                if len(got) == 3:
                    os.kill(before["pid"], signal.SIGKILL)
    assert len(got) >= 3
    assert "worker" in str(err.value).lower()

    after = wait_ready(admin, replaced_pid=before["pid"])["deployment"]["instances"][0]
    assert after["pid"] != before["pid"] and after["restarts"] == before["restarts"] + 1
    r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
    assert r.choices[0].message.content


def _stream_text(client: openai.OpenAI, prompt: str, max_tokens: int) -> tuple[list[str], float]:
    start = time.monotonic()
    first = None
    pieces: list[str] = []
    for chunk in client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        temperature=0,
        stream=True,
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            if first is None:
                first = time.monotonic() - start
            pieces.append(chunk.choices[0].delta.content)
    return pieces, first or 0.0


def test_eight_concurrent_streams_complete_without_cross_talk(admin: Api, client: openai.OpenAI) -> None:
    wait_ready(admin)
    prompts = [f"Tell me a fact about the number {n}." for n in (3, 7, 12, 21, 42, 64, 99, 365)]
    alone = [_stream_text(client, p, 24)[0] for p in prompts]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda p: _stream_text(client, p, 24)[0], prompts))
    for solo, batched in zip(alone, together, strict=True):
        assert len(batched) > 0
        # Each streamed piece is one token: the first 16 must match the same request run alone.
        assert "".join(batched[:16]) == "".join(solo[:16])
    assert len({"".join(t) for t in together}) > 1  # different prompts really gave different answers


def test_a_full_queue_answers_429_with_retry_after(model_server: LiveServer, admin: Api, key: dict[str, Any]) -> None:
    wait_ready(admin)
    gateway = model_server.app.state.services.gateway
    saved = gateway.queue_per_model
    gateway.queue_per_model = 0  # capacity is then exactly the 8 parallel sequences
    try:
        body = {"model": MODEL, "messages": [{"role": "user", "content": "Write a long story."}], "max_tokens": 300,
                "stream": True}  # fmt: skip
        headers = {"Authorization": f"Bearer {key['key']}"}
        with httpx.Client(base_url=model_server.url, timeout=120) as http:
            streams = [http.stream("POST", "/v1/chat/completions", json=body, headers=headers) for _ in range(8)]
            opened = [s.__enter__() for s in streams]
            try:
                assert all(r.status_code == 200 for r in opened)
                refused = http.post("/v1/chat/completions", json=body, headers=headers)
                assert refused.status_code == 429
                assert int(refused.headers["Retry-After"]) >= 1
                assert refused.json()["error"]["code"] == "model_busy"
            finally:
                for s in streams:
                    s.__exit__(None, None, None)
    finally:
        gateway.queue_per_model = saved


def test_a_client_that_leaves_frees_its_slot(model_server: LiveServer, admin: Api, key: dict[str, Any]) -> None:
    wait_ready(admin)

    def idle() -> dict[str, Any] | None:  # what earlier tests left running has ended, one way or the other
        [now] = worker_health(model_server.app, MODEL)
        return now if now["active"] == 0 and now["queued"] == 0 else None

    before = wait_for(idle, "the worker to be idle", timeout=120)
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Write a very long essay."}],
            "max_tokens": 1500, "temperature": 0, "stream": True}  # fmt: skip
    with (
        httpx.Client(base_url=model_server.url, timeout=120) as http,
        http.stream("POST", "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key['key']}"}) as r,
    ):
        lines = r.iter_lines()
        for _ in range(6):
            next(lines)
        # The connection is closed here, long before 1500 tokens.
    wait_for(lambda: chat_model(admin)["deployment"]["instances"][0]["in_flight"] == 0, "the gateway to free the slot")

    # The worker itself stopped generating: it counts the job as cancelled, no slot is busy, and it made far fewer
    # tokens than the 1500 asked for (its health checks make one token each, now and then).
    def stopped() -> dict[str, Any] | None:
        [now] = worker_health(model_server.app, MODEL)
        return now if now["jobs_cancelled"] > before["jobs_cancelled"] and now["active"] == 0 else None

    after = wait_for(stopped, "the worker to cancel the abandoned generation", timeout=30)
    assert after["jobs_cancelled"] == before["jobs_cancelled"] + 1
    assert after["tokens_generated"] - before["tokens_generated"] < 500, (before, after)


def test_usage_is_metered_per_key_user_model_and_day(model_server: LiveServer, admin: Api) -> None:
    wait_ready(admin)
    # A key of its own: the other tests' streams, cut short, are still being metered in the background.
    key = admin.create_key(admin.default_workspace(), name="metering test")
    client = openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=key["key"], max_retries=0, timeout=120)
    r = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], max_tokens=3)

    def usage_rows() -> list[tuple[Any, ...]]:  # written off the request path, just after the response
        with psycopg.connect(model_server.database_url) as conn:
            return conn.execute(
                "SELECT prompt_tokens, completion_tokens, latency_ms, endpoint FROM usage_records "
                "WHERE api_key_id = %s",
                (key["id"],),
            ).fetchall()

    [row] = wait_for(usage_rows, "the request's usage row")
    assert row[0] == r.usage.prompt_tokens and row[1] == r.usage.completion_tokens  # type: ignore[union-attr]
    assert row[2] > 0 and row[3] == "chat"

    ws = admin.default_workspace()
    for group in ("model", "api_key", "user", "day"):
        totals = admin.get(f"/api/workspaces/{ws}/usage", params={"group_by": group}).json()
        assert totals["data"] and totals["data"][0]["requests"] >= 1, group
    by_key = admin.get(f"/api/workspaces/{ws}/usage", params={"group_by": "api_key"}).json()["data"]
    mine = next(d for d in by_key if d["key"] == key["id"])
    assert mine["label"] == "metering test" and mine["requests"] == 1
    assert mine["completion_tokens"] == r.usage.completion_tokens  # type: ignore[union-attr]
