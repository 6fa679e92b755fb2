"""A second embedding model for the tests that need two: deploying it and waiting until it serves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hezi.serving import minilm_gguf
from tests.helpers import Api, unique


def deploy(admin: Api, model_id: str) -> None:
    r = admin.put(f"/api/models/{model_id}/deployment", json={"context_size": 512, "parallel": 2})
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 60
    while admin.get(f"/api/models/{model_id}").json()["deployment"]["status"] != "ready":
        assert time.monotonic() < deadline, "the second embedding model did not start"
        time.sleep(0.3)


def import_cls_minilm(admin: Api, folder: Path) -> dict[str, Any]:
    """The bundled MiniLM converted with CLS pooling, not mean: a genuinely different embedding model."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(minilm_gguf, "_pooling_type", lambda _: minilm_gguf.PoolingType.CLS)
        gguf = minilm_gguf.convert(minilm_gguf.find_minilm_dir(), folder / "minilm-cls.gguf")
    r = admin.post("/api/models/import-path", json={"path": str(gguf), "name": unique("minilm-cls")})
    assert r.status_code == 201, r.text
    deploy(admin, r.json()["id"])
    return dict(r.json())
