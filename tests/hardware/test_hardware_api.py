"""The hardware API, sample history, /metrics, and a deploy that will not fit being refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import openai
import psycopg
import pytest

from hezi.hardware.sampler import thin
from hezi.serving.bundled import SMOLLM2_NAME
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, wait_for, wait_model_ready


def test_inventory_and_latest_sample(live_server: LiveServer, admin: Api) -> None:
    hw = admin.get("/api/hardware").json()
    inv = hw["inventory"]
    assert inv["cpu"]["model"] and inv["cpu"]["usable_threads"] >= 1
    assert inv["memory"]["total"] > inv["memory"]["available"] > 0
    assert inv["disk"]["free"] > 0 and inv["disk"]["path"] == str(live_server.settings.resolved_data_dir)
    assert isinstance(inv["gpus"], list) and isinstance(inv["npus"], list)  # empty here: absent, not an error
    assert 0 <= hw["latest"]["cpu_percent"] <= 100
    assert_error(httpx.get(f"{live_server.url}/api/hardware"), 401)
    user = admin.create_user()
    member = live_server.api().login(user["username"], user["password"])
    assert member.get("/api/hardware").json()["inventory"]["disk"]["path"] == ""  # server paths: admins only


@pytest.fixture(scope="module")
def sampled(make_server: Callable[..., LiveServer]) -> LiveServer:
    return make_server(hardware_sample_seconds=0.2, deploy_bundled=True, metrics_token="scrape-secret")


def test_samples_are_stored_with_model_instances_and_thinned(sampled: LiveServer) -> None:
    api = sampled.admin()
    # The worker's memory is the loaded model's only once the model is loaded: wait for that, then for a sample
    # bucket that starts after it (a bucket's instances are its latest sample's).
    pid = wait_model_ready(api, SMOLLM2_NAME)["deployment"]["instances"][0]["pid"]
    loaded_at = datetime.now(UTC)

    def after_load() -> list[dict[str, Any]]:
        points: list[dict[str, Any]] = api.get("/api/hardware/history", params={"minutes": 5}).json()["points"]
        return [p for p in points if datetime.fromisoformat(p["at"]) >= loaded_at and p["instances"]]

    points = wait_for(after_load, "a hardware sample taken after the chat model loaded", timeout=60)
    assert all(0 <= p["cpu_percent"] <= 100 and p["memory_total"] > 0 for p in points)
    instance = next(i for i in points[-1]["instances"] if i["model"] == SMOLLM2_NAME)
    assert instance["pid"] == pid and instance["memory"] > 50 * 2**20
    assert_error(api.get("/api/hardware/history", params={"minutes": 0}), 422)

    with psycopg.connect(sampled.database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO hardware_samples (at, cpu_percent, memory_used, memory_total, disk_used, disk_total, gpus,"
            " instances) SELECT now() - interval '3 hours' + g * interval '5 seconds', 1, 1, 2, 1, 2, '[]', '[]'"
            " FROM generate_series(0, 23) g"  # two minutes of samples, 3 hours ago
        )
        conn.execute(
            "INSERT INTO hardware_samples (at, cpu_percent, memory_used, memory_total, disk_used, disk_total, gpus,"
            " instances) VALUES (now() - interval '25 hours', 1, 1, 2, 1, 2, '[]', '[]')"
        )

    async def run_thin() -> int:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        from hezi.db.session import make_engine

        engine = make_engine(sampled.database_url)
        async with async_sessionmaker(engine)() as db:
            removed = await thin(db)
        await engine.dispose()
        return removed

    import asyncio

    # What is left is asserted, not what this call removed: the server's own thinning runs every ten minutes of the
    # clock and may have thinned some of them first (CI once saw that call remove 22 and this one 1).
    asyncio.run(run_thin())
    with psycopg.connect(sampled.database_url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT date_trunc('minute', at)), count(*) FILTER (WHERE at < now() - interval"
            " '1 day') FROM hardware_samples WHERE at < now() - interval '1 hour'"
        ).fetchone()
        recent = conn.execute(
            "SELECT count(*) FROM hardware_samples WHERE at > now() - interval '1 hour'"
            " GROUP BY date_trunc('minute', at) ORDER BY 1 DESC LIMIT 1"
        ).fetchone()
    # 24 samples in two minutes are one a minute (two, or three when they straddle two minute marks); the 25-hour-old
    # one is gone; the last hour's, taken every 0.2 s, are all kept.
    assert row is not None and row[0] == row[1] <= 3 and row[2] == 0
    assert recent is not None and recent[0] > 1


def test_metrics_in_prometheus_format(sampled: LiveServer) -> None:
    api = sampled.admin()
    key = api.create_key(api.default_workspace())["key"]
    client = openai.OpenAI(base_url=f"{sampled.url}/v1", api_key=key, max_retries=0)
    wait_model_ready(api, SMOLLM2_NAME)  # the chat model itself, not any deployment (the embedder starts first)
    for stream in (False, True):
        r = client.chat.completions.create(
            model=SMOLLM2_NAME, messages=[{"role": "user", "content": "Hi"}], max_tokens=4, stream=stream
        )
        if stream:
            list(r)  # type: ignore[arg-type]

    # A request is counted when its response has ended, which may be after the client read its last byte.
    counted = f'hezi_requests_total{{endpoint="chat",model="{SMOLLM2_NAME}",status="ok"}} 2.0'
    idle = f'hezi_queue_depth{{model="{SMOLLM2_NAME}"}} 0.0'

    def both_counted() -> str:
        text = httpx.get(f"{sampled.url}/metrics", headers={"Authorization": "Bearer scrape-secret"}).text
        return text if counted in text and idle in text else ""

    text = wait_for(both_counted, "both requests to be counted and none in flight", timeout=30)

    assert httpx.get(f"{sampled.url}/metrics").status_code == 401  # a token is set: loopback is not enough
    bad = httpx.get(f"{sampled.url}/metrics", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401
    for family in (
        "hezi_cpu_utilization_percent",
        "hezi_memory_used_bytes",
        "hezi_disk_free_bytes",
        counted,
        f'hezi_tokens_total{{direction="completion",model="{SMOLLM2_NAME}"}}',
        "hezi_time_to_first_token_seconds_bucket",
        "hezi_request_duration_seconds_bucket",
        idle,
        f'hezi_worker_restarts_total{{model="{SMOLLM2_NAME}"}} 0.0',
        f'hezi_model_ready_replicas{{model="{SMOLLM2_NAME}"}} 1.0',
        f'hezi_model_instance_memory_bytes{{instance="0",model="{SMOLLM2_NAME}"}}',
    ):
        assert family in text, family
    assert all(line.startswith(("#", "hezi_")) for line in text.splitlines() if line), "every family is hezi_…"


def test_metrics_without_a_token_answer_loopback(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}/metrics")
    assert r.status_code == 200 and "hezi_cpu_utilization_percent" in r.text


def test_a_deploy_that_will_not_fit_is_refused_with_numbers_unless_forced(model_server: LiveServer) -> None:
    admin = model_server.admin()
    chat = next(m for m in admin.get("/api/models").json()["data"] if m["name"] == SMOLLM2_NAME)
    original = {k: chat["deployment"][k] for k in ("context_size", "parallel")}
    settings = model_server.app.state.settings
    saved = settings.model_memory_budget_bytes
    settings.model_memory_budget_bytes = 800 * 2**20  # as if the box had 800 MiB to spare
    try:
        fit = admin.get(f"/api/models/{chat['id']}/fit", params={"context_size": 8192, "parallel": 8}).json()
        assert not fit["fits"] and fit["suggestions"]
        cpu = fit["devices"][0]
        assert cpu["device"] == "cpu" and cpu["needed"] > cpu["free"] == 800 * 2**20
        # Eight sequences and the two pinned prefixes' sequences (the default), each 8192 tokens.
        assert cpu["kv_cache"] == 30 * 8192 * (8 + 2) * 384 * 2 and cpu["pinned_kv"] == 30 * 8192 * 2 * 384 * 2
        assert fit["pinned_prefixes"] == 2

        r = admin.put(f"/api/models/{chat['id']}/deployment", json={"context_size": 8192, "parallel": 8})
        err = assert_error(r, 409, "model_does_not_fit")
        assert "needs 2.07 GiB but has 800 MiB free" in err["message"] and "Would fit" in err["message"]
        assert err["details"]["suggestions"] == fit["suggestions"]
        after = admin.get(f"/api/models/{chat['id']}").json()["deployment"]
        assert (after["context_size"], after["parallel"]) == (2048, 8), "a refused deploy changes nothing"

        suggestion = fit["suggestions"][0]
        ok = admin.get(f"/api/models/{chat['id']}/fit", params={k: v for k, v in suggestion.items() if v is not None})
        assert ok.json()["fits"]

        forced = admin.put(f"/api/models/{chat['id']}/deployment",
                           json={"context_size": 4096, "parallel": 8, "force": True})  # fmt: skip
        assert forced.status_code == 200 and forced.json()["deployment"]["context_size"] == 4096
        entry = next(e for e in admin.get("/api/audit-log").json()["data"] if e["action"] == "model.deployed")
        assert entry["details"]["forced"] is True
    finally:
        settings.model_memory_budget_bytes = saved
        restored = admin.put(f"/api/models/{chat['id']}/deployment", json=original)
        assert restored.status_code == 200, restored.text
        # The forced deploy restarted the worker: later tests need it serving again, not merely asked to.
        ready = wait_model_ready(admin, SMOLLM2_NAME)["deployment"]
        assert (ready["context_size"], ready["parallel"]) == (original["context_size"], original["parallel"])
