"""The `hezi` command line against the same database as a running server."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import LiveServer
from tests.helpers import Api, unique


def hezi(server: LiveServer, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEZI_DATABASE_URL": server.database_url, "HEZI_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "hezi", *args],
        env=env,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


def test_create_user_then_api_key_for_scripts(live_server: LiveServer) -> None:
    name = unique("cli")
    made = hezi(live_server, "admin", "create-user", name, "--password", "cli-password-1")
    assert made.returncode == 0, made.stderr
    key = hezi(live_server, "admin", "create-api-key", "--user", name)
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip()
    assert secret.startswith("hzk_") and "\n" not in secret  # alone on stdout

    me = Api(live_server.url).as_token(secret).me()
    assert me["user"]["username"] == name
    assert me["workspaces"][0]["role"] == "member"


def test_reset_password_and_clear_errors(live_server: LiveServer) -> None:
    name = unique("cli")
    assert hezi(live_server, "admin", "create-user", name, "--password", "cli-password-1").returncode == 0
    assert hezi(live_server, "admin", "reset-password", name, "--password", "cli-password-2").returncode == 0
    Api(live_server.url).login(name, "cli-password-2")

    dup = hezi(live_server, "admin", "create-user", name, "--password", "cli-password-1")
    assert dup.returncode == 2 and "taken" in dup.stderr
    ghost = hezi(live_server, "admin", "create-api-key", "--user", "no-such-user-here")
    assert ghost.returncode == 2 and "no-such-user-here" in ghost.stderr
    weak = hezi(live_server, "admin", "create-user", unique("cli"), "--password", "short")
    assert weak.returncode == 2 and "password" in weak.stderr
    nows = hezi(live_server, "admin", "create-api-key", "--user", name, "--workspace", "Nowhere")
    assert nows.returncode == 2 and "Nowhere" in nows.stderr


def test_db_upgrade_is_idempotent(live_server: LiveServer) -> None:
    r = hezi(live_server, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    assert "latest migration" in r.stdout
