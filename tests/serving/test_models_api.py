"""Importing, deploying and removing models through the console API and the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hezi.serving.bundled import SMOLLM2_NAME, smollm2_path
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, unique, wait_for, wait_model_ready, worker_health


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


def variant(tmp_path: Path, tag: str) -> Path:
    """A copy of the bundled GGUF with a few bytes appended: the same model, a different file hash."""
    src = smollm2_path()
    assert src is not None
    dst = tmp_path / f"smol-{tag}.gguf"
    shutil.copyfile(src, dst)
    with dst.open("ab") as fh:
        fh.write(tag.encode().ljust(32, b"\0"))
    return dst


def upload(api: Api, path: Path, **params: str) -> httpx.Response:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                yield block

    return api.post(
        "/api/models/upload", params={"filename": path.name, **params}, content=chunks(),
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip


def test_bad_imports_are_refused_clearly(model_server: LiveServer, admin: Api, tmp_path: Path) -> None:
    assert_error(admin.post("/api/models/import-path", json={"path": "/etc/hostname"}), 400, "invalid_model_file")
    assert_error(admin.post("/api/models/import-path", json={"path": "/nope/x.gguf"}), 400, "invalid_model_file")
    assert_error(admin.post("/api/models/import-path", json={"path": "relative.gguf"}), 400, "invalid_model_file")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(smollm2_path().read_bytes()[:4096])  # type: ignore[union-attr]
    assert_error(admin.post("/api/models/import-path", json={"path": str(truncated)}), 400, "invalid_model_file")

    bundled = str(smollm2_path())
    dup = assert_error(admin.post("/api/models/import-path", json={"path": bundled}), 409, "duplicate_model")
    assert dup["details"]["existing_id"]

    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(os.urandom(50_000))
    assert_error(upload(admin, garbage), 400, "invalid_model_file")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    assert_error(upload(admin, empty), 400, "invalid_model_file")
    uploads = model_server.settings.resolved_data_dir / "models" / "uploads"
    assert not list(uploads.glob("*.part")), "a refused upload leaves nothing behind"

    settings = model_server.app.state.settings
    saved = settings.max_model_upload_bytes
    settings.max_model_upload_bytes = 1_000_000
    try:
        err = assert_error(upload(admin, variant(tmp_path, "big")), 413, "model_too_large")
        assert err["details"] == {"max_bytes": 1_000_000}
    finally:
        settings.max_model_upload_bytes = saved

    user = admin.create_user()
    member = model_server.api().login(user["username"], user["password"])
    assert_error(member.post("/api/models/import-path", json={"path": bundled}), 403)
    assert member.get("/api/models").status_code == 200  # everyone may look


def test_upload_deploy_chat_stop_delete(model_server: LiveServer, admin: Api, tmp_path: Path) -> None:
    name = unique("uploaded")
    r = upload(admin, variant(tmp_path, name), name=name)
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["name"] == name and model["source"] == "upload" and model["kind"] == "chat"
    assert model["architecture"] == "llama" and model["quantization"] == "Q4_1"
    assert model["context_length"] == 8192 and 130e6 < model["parameter_count"] < 140e6
    assert model["has_chat_template"] and model["deployment"] is None
    assert_error(upload(admin, variant(tmp_path, name)), 409, "duplicate_model")

    too_big = admin.put(f"/api/models/{model['id']}/deployment", json={"context_size": 100_000})
    assert_error(too_big, 400, "context_too_large")
    spec = {"context_size": 512, "parallel": 1, "threads": 1, "replicas": 2}
    deployed = admin.put(f"/api/models/{model['id']}/deployment", json=spec)
    assert deployed.status_code == 200 and deployed.json()["deployment"]["status"] in ("starting", "ready")

    ws = admin.default_workspace()
    api_key = admin.create_key(ws)["key"]
    chat = {"model": name, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3}
    v1 = httpx.Client(base_url=f"{model_server.url}/v1", headers={"Authorization": f"Bearer {api_key}"}, timeout=60)
    instances = wait_model_ready(admin, name)["deployment"]["instances"]  # every replica, not the first one only
    assert name in [m["id"] for m in v1.get("/models").json()["data"]]
    assert len(instances) == 2 and instances[0]["pid"] != instances[1]["pid"]
    # Two requests at once are both served, one sequence on each replica: while both stream, each replica's worker
    # (one slot each, as deployed) is generating a sequence. Both answers are long, so they overlap.
    essay = {**chat, "messages": [{"role": "user", "content": "Write a long essay about the sea."}],
             "max_tokens": 300, "temperature": 0, "stream": True}  # fmt: skip

    def both_busy() -> list[dict[str, Any]] | None:
        workers = worker_health(model_server.app, name)
        return workers if [(w["slots"], w["active"]) for w in workers] == [(1, 1), (1, 1)] else None

    with v1.stream("POST", "/chat/completions", json=essay) as one, v1.stream("POST", "/chat/completions",
                                                                                json=essay) as two:  # fmt: skip
        assert (one.status_code, two.status_code) == (200, 200)
        busy = wait_for(both_busy, "both replicas to be generating a sequence at once")
        assert sorted(w["pid"] for w in busy) == sorted(i["pid"] for i in instances)
        # On the CPU with a cache per sequence, attention runs without llama.cpp's flash kernel (decision 0025).
        assert [(w["kv_unified"], w["flash_attn"]) for w in busy] == [(False, False), (False, False)]
    assert any("loaded" in line for line in admin.get(f"/api/models/{model['id']}/logs").json()["lines"])

    stopped = admin.post(f"/api/models/{model['id']}/stop").json()
    assert stopped["deployment"]["status"] == "stopped"
    r = v1.post("/chat/completions", json=chat)
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"

    stored = Path(model["path"])
    assert stored.exists()
    assert admin.delete(f"/api/models/{model['id']}").status_code == 204
    assert not stored.exists()
    assert_error(admin.get(f"/api/models/{model['id']}"), 404, "model_not_found")
    actions = [e["action"] for e in admin.get("/api/audit-log").json()["data"] if e["target"] == name]
    assert {"model.imported", "model.deployed", "model.stopped", "model.deleted"} <= set(actions)


def test_cli_import_reads_the_metadata(model_server: LiveServer, admin: Api, tmp_path: Path) -> None:
    name = unique("cli-model")
    env = {**os.environ, "HEZI_DATABASE_URL": model_server.database_url}
    r = subprocess.run(
        [sys.executable, "-m", "hezi", "models", "import", str(variant(tmp_path, name)), "--name", name],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"imported {name}: chat, llama, 135M parameters, Q4_1, context 8192" in r.stdout
    listed: list[dict[str, Any]] = admin.get("/api/models").json()["data"]
    assert any(m["name"] == name and m["source"] == "path" for m in listed)
    assert any(m["name"] == SMOLLM2_NAME and m["source"] == "bundled" for m in listed)
    bad = subprocess.run([sys.executable, "-m", "hezi", "models", "import", "/etc/hostname"], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "not a GGUF file" in bad.stderr
