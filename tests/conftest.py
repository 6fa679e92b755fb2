"""One embedded PostgreSQL per test run; hezi servers on real loopback HTTP, each on its own database."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
import uvicorn

from hezi.app import create_app
from hezi.db.embedded_postgres import EmbeddedPostgres
from hezi.serving.bundled import E5_NAME, MINILM_NAME, SMOLLM2_NAME
from hezi.settings import Settings
from tests.helpers import Api

BUNDLED = {SMOLLM2_NAME, E5_NAME, MINILM_NAME}

ADMIN_PASSWORD = "admin-pass-1234"
T = TypeVar("T")


# --- under CI=true, a skip is a failure unless the machine has no GPU -------------------------------------------
# A skipped test proves nothing: the retrieval-quality and OCR suites once skipped green in CI when their data or
# font was missing. `make test` installs what they need; here a skip for any other reason fails the run.


def _skip_allowed(reason: str) -> bool:
    return "gpu" in reason.lower()


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _fail_skip_in_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    if os.environ.get("CI") != "true" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if not _skip_allowed(reason):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where only a missing GPU may skip a test: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    _fail_skip_in_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report: pytest.CollectReport = yield
    _fail_skip_in_ci(report)  # a module-level skip (pytest.importorskip, allow_module_level) counts too
    return report


@dataclass
class LiveServer:
    url: str
    settings: Settings
    admin_username: str
    admin_password: str
    database_url: str
    app: Any = None  # the in-process FastAPI app, for tests that change a setting on the fly

    def api(self, **client_kwargs: Any) -> Api:
        return Api(self.url, **client_kwargs)

    def admin(self) -> Api:
        return self.api().login(self.admin_username, self.admin_password)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        """Run a coroutine on the server's own event loop (its services' clients belong to that loop)."""
        loop = self.app.state.services.loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The run's one embedded PostgreSQL; yields the URL of its `hezi` database."""
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    url = pg.start()
    yield url
    pg.stop()


_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def new_database(postgres: str) -> Callable[[], str]:
    """Makes a fresh, empty database on the run's PostgreSQL and returns its URL."""

    def make() -> str:
        name = f"test_{next(_db_numbers)}"
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return postgres.replace("/hezi?", f"/{name}?")

    return make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _ThreadedServer:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host=settings.host, port=settings.port, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, url: str) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise RuntimeError("hezi server thread died during start-up")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("hezi server did not become ready")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def make_server(
    new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., LiveServer]]:
    """Starts a hezi server on its own database with setting overrides; all are stopped at the end."""
    started: list[_ThreadedServer] = []

    def make(**overrides: Any) -> LiveServer:
        port = free_port()
        database_url = new_database()
        values: dict[str, Any] = {
            "database_url": database_url,
            "data_dir": tmp_path_factory.mktemp("data"),
            "host": "127.0.0.1",
            "port": port,
            "admin_password": ADMIN_PASSWORD,
            "log_json": True,
            # Tests log in often from one address; per-address limits get their own test server.
            "login_ip_max_failures": 1000,
            # Model workers cost memory and CPU: only servers that serve models start them.
            "deploy_bundled": False,
            # Small enough that tests of the document size limit send a few MiB, not the default 100.
            "max_document_bytes": 3 * 1024 * 1024,
            **overrides,
        }
        settings = Settings(**values)
        url = f"http://127.0.0.1:{port}"
        server = _ThreadedServer(settings)
        server.start(url)
        started.append(server)
        return LiveServer(url, settings, settings.admin_username, ADMIN_PASSWORD, database_url, server.app)

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(make_server: Callable[..., LiveServer]) -> LiveServer:
    """The shared server most tests use (serving the API and the built web console)."""
    return make_server()


@pytest.fixture(scope="session")
def model_server(make_server: Callable[..., LiveServer]) -> LiveServer:
    """A server with the bundled models deployed and ready."""
    server = make_server(deploy_bundled=True)
    api = server.admin()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        models = api.get("/api/models").json()["data"]
        # All three bundled models: hezi registers the chat model first and each embedding model after preparing
        # its GGUF, so a list holding only the chat model, ready, is not yet the whole set. Then every replica
        # ready (the deployment's status is "ready" as soon as one is).
        if {m["name"] for m in models} >= BUNDLED and all(
            m["deployment"]
            and m["deployment"]["instances"]
            and {i["status"] for i in m["deployment"]["instances"]} == {"ready"}
            for m in models
        ):
            return server
        time.sleep(0.2)
    raise RuntimeError(f"bundled models did not become ready: {models}")


@pytest.fixture
def admin(live_server: LiveServer) -> Iterator[Api]:
    api = live_server.admin()
    yield api
    api.close()


@pytest.fixture
def db(live_server: LiveServer) -> Iterator[psycopg.Connection[Any]]:
    """A direct connection to the shared server's database, for checking what was stored."""
    with psycopg.connect(live_server.database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
