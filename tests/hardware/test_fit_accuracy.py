"""The memory estimate against what deployed workers really use: within ±25% at several settings. One setting is
measured after a prompt that nearly fills its context, so the attention scores a CPU worker computes without flash
attention (a batch against the whole context) are in what it uses."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from hezi.serving.bundled import smollm2_path
from tests.conftest import LiveServer
from tests.helpers import Api, unique

CONFIGS = [(512, 1, 100), (2048, 4, 1900), (4096, 8, 100), (8192, 2, 100)]  # context, parallel, prompt tokens


def wait_ready(api: Api, model_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        model = api.get(f"/api/models/{model_id}").json()
        if model["deployment"]["status"] == "ready" and model["deployment"]["instances"][0]["pid"]:
            return model
        time.sleep(0.2)
    raise AssertionError(f"not ready: {model['deployment']}")


@pytest.mark.parametrize(("context_size", "parallel", "prompt_tokens"), CONFIGS)
def test_estimate_is_within_25_percent_of_measured(
    model_server: LiveServer, tmp_path: Path, context_size: int, parallel: int, prompt_tokens: int
) -> None:
    admin = model_server.admin()
    copy = tmp_path / "smol.gguf"
    shutil.copyfile(smollm2_path(), copy)  # type: ignore[arg-type]
    with copy.open("ab") as fh:
        fh.write(unique("fit").encode().ljust(32, b"\0"))  # a different file hash: a separate model
    model = admin.post("/api/models/import-path", json={"path": str(copy), "name": unique("fit")}).json()
    try:
        spec = {"context_size": context_size, "parallel": parallel, "threads": 1}
        fit = admin.get(f"/api/models/{model['id']}/fit", params=spec).json()
        assert fit["fits"] and fit["placement"]["device"] == "cpu"
        estimated = fit["total"]
        assert admin.put(f"/api/models/{model['id']}/deployment", json=spec).status_code == 200
        pid = wait_ready(admin, model["id"])["deployment"]["instances"][0]["pid"]
        key = admin.create_key(admin.default_workspace())["key"]
        body = {"model": model["name"], "prompt": "hello " * prompt_tokens, "max_tokens": 8}
        r = httpx.post(f"{model_server.url}/v1/completions", headers={"Authorization": f"Bearer {key}"}, json=body,
                       timeout=60)  # fmt: skip
        assert r.status_code == 200
        measured = psutil.Process(pid).memory_info().rss
        error = estimated / measured - 1
        print(f"context {context_size:5} × {parallel}, prompt {prompt_tokens:4}: estimated "
              f"{estimated / 2**20:7.1f} MiB, measured {measured / 2**20:7.1f} MiB, error {error:+.1%}")  # fmt: skip
        assert abs(error) <= 0.25
    finally:
        admin.delete(f"/api/models/{model['id']}")


@pytest.mark.parametrize("name", ["multilingual-e5-small", "all-minilm-l6-v2"])
def test_embedding_estimate_is_within_25_percent_of_measured(model_server: LiveServer, name: str) -> None:
    """The bundled embedding models as deployed at start: the 250k-token vocabulary of multilingual-e5-small (kept
    4-bit, only looked up) and MiniLM's F32 layers both count."""
    admin = model_server.admin()
    model = next(m for m in admin.get("/api/models").json()["data"] if m["name"] == name)
    dep = model["deployment"]
    spec = {"context_size": dep["context_size"], "parallel": dep["parallel"], "threads": dep["threads"]}
    estimated = admin.get(f"/api/models/{model['id']}/fit", params=spec).json()["total"]
    key = admin.create_key(admin.default_workspace())["key"]
    body = {"model": name, "input": ["a long enough passage to fill a batch " * 40] * 8}
    r = httpx.post(f"{model_server.url}/v1/embeddings", headers={"Authorization": f"Bearer {key}"}, json=body,
                   timeout=120)  # fmt: skip
    assert r.status_code == 200, r.text
    measured = sum(psutil.Process(i["pid"]).memory_info().rss for i in dep["instances"])
    error = estimated / measured - 1
    print(f"{name}: estimated {estimated / 2**20:7.1f} MiB, measured {measured / 2**20:7.1f} MiB, error {error:+.1%}")
    assert abs(error) <= 0.25
