"""The API key cache: keys come from memory, yet a revoked key, a disabled owner, a removed member or a deleted
workspace are refused on the very next request, by every server sharing the database (LISTEN/NOTIFY)."""

from __future__ import annotations

import httpx
import psycopg

from hezi.services import Services
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error, wait_for

LISTENING = "hezi_api_key_cache_listening"
HITS = "hezi_api_key_cache_hits_total"


def metric(url: str, name: str) -> float:
    """A sample of the server's /metrics (served to loopback clients)."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(f"{name} "))


def listening(*urls: str) -> None:
    for url in urls:
        wait_for(lambda url=url: metric(url, LISTENING) == 1, f"the key cache of {url} to listen")  # type: ignore[misc]


def as_key(url: str, key: str) -> Api:
    api = Api(url)
    api.token = key
    return api


def cached_everywhere(urls: list[str], key: str) -> None:
    """Use the key twice on every server; the second use comes from the cache there."""
    for url in urls:
        before = metric(url, HITS)
        for _ in range(2):
            r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30)
            assert r.status_code == 200, r.text
        assert metric(url, HITS) >= before + 1, f"{url} did not serve the key from its cache"


def refused(url: str, key: str, why: str) -> None:
    r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert r.status_code == 401, r.text
    assert why in r.json()["error"]["message"], r.text


def test_a_revoked_key_is_refused_at_once_by_every_server_that_cached_it(first: LiveServer, second: str) -> None:
    servers = [first.url, second]
    listening(*servers)
    on_first = first.admin()
    on_second = Api(second).login(first.admin_username, first.admin_password)
    ws = on_first.default_workspace()
    here, there = (on_first.create_key(ws, scopes=["api"]) for _ in range(2))
    for key in (here, there):
        cached_everywhere(servers, key["key"])

    # Revoked through the first server: the second, which holds the key in its cache, refuses the next request.
    assert on_first.delete(f"/api/workspaces/{ws}/api-keys/{here['id']}").status_code == 204
    refused(second, here["key"], "revoked")
    refused(first.url, here["key"], "revoked")
    # And the other way round.
    assert on_second.delete(f"/api/workspaces/{ws}/api-keys/{there['id']}").status_code == 204
    refused(first.url, there["key"], "revoked")
    refused(second, there["key"], "revoked")


def test_a_cached_key_follows_its_owners_role_and_membership(first: LiveServer, second: str) -> None:
    servers = [first.url, second]
    listening(*servers)
    admin = first.admin()
    ws = admin.create_workspace()["id"]
    user = admin.create_user()
    admin.add_member(ws, user["username"], "admin")
    key = Api(first.url).login(user["username"], user["password"]).create_key(ws, scopes=["api"])["key"]
    cached_everywhere(servers, key)
    audit_log = f"/api/workspaces/{ws}/audit-log"
    assert as_key(second, key).get(audit_log).status_code == 200  # workspace admins read it

    # Demoted on the first server: the second applies the new role on the next request, though the key is cached.
    assert admin.patch(f"/api/workspaces/{ws}/members/{user['id']}", json={"role": "member"}).status_code == 200
    assert_error(as_key(second, key).get(audit_log), 403)
    cached_everywhere(servers, key)  # still a member: the key works, from the cache again

    # Removed from the workspace: the user's key there ends with the membership, on every server at once.
    assert admin.delete(f"/api/workspaces/{ws}/members/{user['id']}").status_code == 204
    refused(second, key, "no longer a member")
    refused(first.url, key, "no longer a member")


def test_disabling_the_owner_or_deleting_the_workspace_refuses_cached_keys(first: LiveServer, second: str) -> None:
    servers = [first.url, second]
    listening(*servers)
    admin = first.admin()
    ws, other_ws = admin.create_workspace()["id"], admin.create_workspace()["id"]
    user = admin.create_user()
    admin.add_member(other_ws, user["username"], "admin")
    owner_key = Api(first.url).login(user["username"], user["password"]).create_key(other_ws)["key"]
    workspace_key = admin.create_key(ws)["key"]
    for key in (owner_key, workspace_key):
        cached_everywhere(servers, key)

    assert admin.patch(f"/api/users/{user['id']}", json={"is_active": False}).status_code == 200
    refused(second, owner_key, "disabled")
    refused(first.url, owner_key, "disabled")

    assert admin.delete(f"/api/workspaces/{ws}").status_code == 204
    refused(second, workspace_key, "Invalid API key")
    refused(first.url, workspace_key, "Invalid API key")


def test_without_its_listener_a_server_looks_every_key_up(first: LiveServer) -> None:
    """A server whose LISTEN connection is gone may have missed a change: it trusts nothing it cached, and looks
    keys up in the database until it listens again (when it starts with an empty cache)."""
    services: Services = first.app.state.services
    keys = services.keys
    listening(first.url)
    admin = first.admin()
    key = admin.create_key(admin.default_workspace(), scopes=["api"])
    cached_everywhere([first.url], key["key"])
    connected, pid = keys.reconnects, keys.listener_pid
    assert pid is not None

    with psycopg.connect(first.database_url, autocommit=True) as conn:
        # The listener loses its connection (the call returns once that backend is gone)…
        assert conn.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone() == (True,)
        # …and a revocation no notification announces (as if it had been sent while nobody listened).
        conn.execute("UPDATE api_keys SET revoked_at = now() WHERE id = %s", (key["id"],))
    refused(first.url, key["key"], "revoked")

    wait_for(lambda: keys.listening and keys.reconnects > connected, "the key cache to listen again")
    fresh = admin.create_key(admin.default_workspace(), scopes=["api"])["key"]
    cached_everywhere([first.url], fresh)
