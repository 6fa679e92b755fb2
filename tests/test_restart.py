"""`hezi serve` as a user runs it: embedded PostgreSQL, Ctrl-C, start again — nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.conftest import free_port
from tests.helpers import Api, unique


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "HEZI_DATA_DIR": str(data_dir),
        "HEZI_PORT": str(port),
        "HEZI_ADMIN_PASSWORD": "restart-admin-pw",
    }
    env.pop("HEZI_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "hezi", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(url: str, proc: subprocess.Popen[str], timeout: float = 90) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("hezi did not become ready")


def _postgres_running(data_dir: Path) -> bool:
    pgdata = str(data_dir / "postgres")
    for p in psutil.process_iter(attrs=("name", "cmdline")):
        if p.info["name"] == "postgres" and p.info["cmdline"] and pgdata in " ".join(p.info["cmdline"]):
            return True
    return False


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def test_data_survives_a_restart_and_ctrl_c_stops_postgres(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    proc = _start(data_dir, port)
    try:
        _wait_ready(url, proc)
        admin = Api(url).login("admin", "restart-admin-pw")
        user = admin.create_user(unique("keeper"), password="keep-me-please")
        ws = admin.create_workspace(unique("kept"))
        key = admin.create_key(ws["id"])
    finally:
        out = _stop(proc)
    assert "Application shutdown complete" in out
    assert not _postgres_running(data_dir), "Ctrl-C must stop the embedded PostgreSQL too"

    proc = _start(data_dir, port)
    try:
        _wait_ready(url, proc)
        again = Api(url).login(user["username"], "keep-me-please")
        assert again.me()["user"]["id"] == user["id"]
        admin = Api(url).login("admin", "restart-admin-pw")
        assert ws["id"] in [w["id"] for w in admin.get("/api/workspaces").json()["data"]]
        assert admin.as_token(key["key"]).get("/api/auth/me").status_code == 200
    finally:
        out = _stop(proc)
    assert "first start" not in out, "the admin account is created once, not on every start"
