"""The gateway's connections to a model worker: kept between requests, replaced when the worker has closed them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hezi.serving.bundled import SMOLLM2_NAME
from hezi.serving.worker_http import WorkerClient
from tests.conftest import LiveServer
from tests.helpers import Api, wait_for, wait_model_ready


@pytest.fixture(scope="module")
def key(model_server: LiveServer) -> str:
    admin: Api = model_server.admin()
    wait_model_ready(admin, SMOLLM2_NAME)
    return str(admin.create_key(admin.default_workspace(), name="worker connections")["key"])


def complete(server: LiveServer, key: str) -> dict[str, Any]:
    body = {"model": SMOLLM2_NAME, "prompt": "Once upon a time", "max_tokens": 1, "temperature": 0}
    r = httpx.post(f"{server.url}/v1/completions", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=120)
    assert r.status_code == 200, r.text
    return dict(r.json())


def connections(server: LiveServer) -> WorkerClient:
    [replica] = server.app.state.services.supervisor.ready(SMOLLM2_NAME)
    return replica.worker  # type: ignore[no-any-return]


def test_one_connection_serves_request_after_request(model_server: LiveServer, key: str) -> None:
    for _ in range(5):
        assert complete(model_server, key)["choices"][0]["finish_reason"] == "length"
    # Answers read to their end leave their connection open for the next one; requests one at a time need one.
    kept, closed = connections(model_server).kept()
    assert kept >= 1 and closed == 0


def test_a_connection_the_worker_closed_meanwhile_is_replaced(model_server: LiveServer, key: str) -> None:
    complete(model_server, key)
    # The worker's server closes a connection idle for a few seconds (uvicorn's keep-alive timeout).
    wait_for(lambda: connections(model_server).kept()[1] >= 1, "the worker to close an idle connection", timeout=60)
    # The next request gets an answer, on a new connection, and is not taken for a dead worker.
    assert complete(model_server, key)["choices"][0]["finish_reason"] == "length"
    assert connections(model_server).kept()[1] == 0
