"""While a model's worker restarts (or its deployment starts), requests wait for it; a stopped or broken model is
refused at once. Each test uses a deployment of its own, so killing a worker disturbs no other test."""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hezi.serving.bundled import smollm2_path
from tests.conftest import LiveServer
from tests.helpers import Api, unique, wait_for, wait_model_ready

SPEC = {"context_size": 512, "parallel": 2, "threads": 1}


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture(scope="module")
def v1(model_server: LiveServer, admin: Api) -> Iterator[httpx.Client]:
    key = admin.create_key(admin.default_workspace(), name="restart wait")["key"]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"{model_server.url}/v1", headers=headers, timeout=120) as client:
        yield client


def own_copy(admin: Api, directory: Path, *, broken: bool = False) -> dict[str, Any]:
    """The bundled GGUF imported under a new name (a few bytes appended: a new hash); `broken` then truncates it on
    disk, so its worker fails to load it."""
    name = unique("restart-wait")
    path = directory / f"{name}.gguf"
    shutil.copyfile(smollm2_path(), path)  # type: ignore[arg-type]
    with path.open("ab") as fh:
        fh.write(name.encode().ljust(32, b"\0"))
    r = admin.post("/api/models/import-path", json={"path": str(path), "name": name})
    assert r.status_code == 201, r.text
    if broken:
        with path.open("r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    return dict(r.json())


@pytest.fixture(scope="module")
def own_model(admin: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    model = own_copy(admin, tmp_path_factory.mktemp("restart-wait"))
    assert admin.put(f"/api/models/{model['id']}/deployment", json=SPEC).status_code == 200
    wait_model_ready(admin, model["name"])
    yield model
    admin.delete(f"/api/models/{model['id']}")


def ask(v1: httpx.Client, model: str, *, stream: bool) -> tuple[int, str]:
    """(status, answer text) of a short chat completion, streamed or not."""
    body = {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "temperature": 0}
    if not stream:
        r = v1.post("/chat/completions", json=body)
        return r.status_code, r.json()["choices"][0]["message"]["content"] if r.status_code == 200 else r.text
    text = ""
    with v1.stream("POST", "/chat/completions", json={**body, "stream": True}) as r:
        if r.status_code != 200:
            return r.status_code, r.read().decode()
        for line in r.iter_lines():
            if line.startswith("data: {"):
                chunk = json.loads(line[6:])
                assert "error" not in chunk, chunk
                if chunk["choices"]:
                    text += chunk["choices"][0]["delta"].get("content") or ""
    return r.status_code, text


def instance(admin: Api, model_id: str) -> dict[str, Any]:
    return dict(admin.get(f"/api/models/{model_id}").json()["deployment"]["instances"][0])


def test_requests_sent_while_a_killed_worker_restarts_wait_for_it(
    admin: Api, v1: httpx.Client, own_model: dict[str, Any]
) -> None:
    name = own_model["name"]
    before = wait_model_ready(admin, name)["deployment"]["instances"][0]
    os.kill(before["pid"], signal.SIGKILL)
    # At once, before the supervisor has even noticed: the first restart waits a second before it starts.
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda i: ask(v1, name, stream=i % 2 == 1), range(6)))
    assert [status for status, _ in replies] == [200] * 6, replies
    assert all(text for _, text in replies), replies
    after = instance(admin, own_model["id"])
    assert after["pid"] != before["pid"] and after["restarts"] == before["restarts"] + 1
    assert after["status"] == "ready"


def test_requests_wait_for_a_deployment_that_is_starting(
    admin: Api, v1: httpx.Client, own_model: dict[str, Any]
) -> None:
    wait_model_ready(admin, own_model["name"])
    changed = admin.put(f"/api/models/{own_model['id']}/deployment", json={**SPEC, "context_size": 640})
    assert changed.status_code == 200
    assert changed.json()["deployment"]["status"] == "starting"  # a new spec: its replica is started anew
    assert ask(v1, own_model["name"], stream=False)[0] == 200
    assert ask(v1, own_model["name"], stream=True)[0] == 200


def test_a_stopped_model_is_refused_at_once(admin: Api, v1: httpx.Client, own_model: dict[str, Any]) -> None:
    wait_model_ready(admin, own_model["name"])
    assert admin.post(f"/api/models/{own_model['id']}/stop").json()["deployment"]["status"] == "stopped"
    started = time.monotonic()
    status, text = ask(v1, own_model["name"], stream=False)
    assert status == 404 and "model_not_found" in text
    assert time.monotonic() - started < 10, "a stopped model must not make requests wait for it"


def test_a_model_that_fails_to_load_is_refused_not_waited_for(admin: Api, v1: httpx.Client, tmp_path: Path) -> None:
    model = own_copy(admin, tmp_path, broken=True)
    try:
        assert admin.put(f"/api/models/{model['id']}/deployment", json=SPEC).status_code == 200
        # A request while it first starts waits for that start, which fails: 503 once it has.
        status, text = ask(v1, model["name"], stream=False)
        assert status == 503 and "model_unavailable" in text, text
        wait_for(lambda: instance(admin, model["id"])["status"] == "failed", "the broken model's worker to fail")
        # Failed while loading: no restart is awaited, even though the supervisor will try again.
        started = time.monotonic()
        status, text = ask(v1, model["name"], stream=True)
        assert status == 503 and "model_unavailable" in text, text
        assert time.monotonic() - started < 10, "a model that fails to load must not make requests wait for it"
    finally:
        admin.delete(f"/api/models/{model['id']}")
