"""Two hezi servers on one database: one in this process (`first`), one `hezi serve` process of its own (`second`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, LiveServer, free_port
from tests.helpers import wait_for


@pytest.fixture(scope="module")
def first(make_server: Callable[..., LiveServer]) -> LiveServer:
    return make_server()


@pytest.fixture(scope="module")
def second(first: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`hezi serve` in a process of its own on the first server's database; yields its URL."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("second")
    env = {
        **os.environ,
        "HEZI_DATABASE_URL": first.database_url,
        "HEZI_DATA_DIR": str(data_dir),
        "HEZI_HOST": "127.0.0.1",
        "HEZI_PORT": str(port),
        "HEZI_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HEZI_DEPLOY_BUNDLED": "false",
        "HEZI_RUN_WORKER": "false",
        "HEZI_LOG_LEVEL": "WARNING",
    }
    log = Path(data_dir) / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hezi", "serve"], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the second server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, "the second server process to be ready", timeout=120)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
