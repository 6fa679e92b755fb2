"""`hezi apps …`: a script publishes an agent as an app and gets its address and a key, over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import LiveServer
from tests.helpers import Api, unique


def hezi(server_url: str, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEZI_")}
    env.update({"HEZI_URL": server_url, "HEZI_API_KEY": key, "HEZI_LOG_LEVEL": "WARNING", "LANG": "C.UTF-8"})
    return subprocess.run([sys.executable, "-m", "hezi", *args], env=env, capture_output=True, text=True, timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def fields(out: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


@pytest.fixture
def ws(admin: Api) -> str:
    return str(admin.create_workspace()["id"])


def test_publish_makes_then_updates_the_app_and_prints_a_working_key(
    live_server: LiveServer, admin: Api, ws: str
) -> None:
    key = admin.create_key(ws)["key"]
    name = unique("helpdesk")
    ok(hezi(live_server.url, key, "agents", "create", "--name", name))
    slug = unique("desk").lower()

    first = fields(ok(hezi(live_server.url, key, "apps", "publish", name, "--slug", slug)))
    assert first["slug"].startswith(slug) and first["version"] == "1"
    assert first["web app"].startswith(f"{live_server.url}/app/")
    app_key = first["api key"].split()[0]
    apps = admin.get(f"/api/workspaces/{ws}/apps").json()["data"]
    assert [(a["slug"], a["agent_version"]) for a in apps] == [(slug, 1)]
    keys = admin.get(f"/api/workspaces/{ws}/apps/{apps[0]['id']}/keys").json()["data"]
    assert [k["prefix"] for k in keys] == [app_key[: len(keys[0]["prefix"])]]

    # Again: a new version on the same app, not a second app.
    second = fields(ok(hezi(live_server.url, key, "apps", "publish", name)))
    assert second["slug"].split()[0] == slug and second["version"] == "2"
    assert len(admin.get(f"/api/workspaces/{ws}/apps").json()["data"]) == 1

    listed = ok(hezi(live_server.url, key, "apps", "list"))
    assert slug in listed and f"{name} v2" in listed
    assert len(ok(hezi(live_server.url, key, "apps", "keys", slug)).splitlines()) == 2
    created = ok(hezi(live_server.url, key, "apps", "keys", slug, "--create", "widget"))
    assert created.split()[0].startswith("hz") and "shown once" in created

    missing = hezi(live_server.url, key, "apps", "keys", "no-such-app")
    assert missing.returncode == 2 and missing.stderr.startswith("error: ") and "no-such-app" in missing.stderr
