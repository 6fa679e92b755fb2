"""Remote OpenAI-compatible providers. The "remote" here is a real server: hezi's own /v1 on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import psycopg
import pytest

from hezi.egress import parse_cidrs
from hezi.serving.bundled import MINILM_NAME, SMOLLM2_NAME
from tests.conftest import LiveServer
from tests.helpers import Api, assert_error
from tests.serving.providers import add_self_provider


@pytest.fixture(scope="module")
def admin(model_server: LiveServer) -> Api:
    return model_server.admin()


@pytest.fixture
def loopback_allowed(model_server: LiveServer) -> Iterator[None]:
    """What HEZI_EGRESS_ALLOW_CIDRS=127.0.0.0/8 does, for the length of one test."""
    state = model_server.app.state
    saved = state.services.egress.allowed
    state.services.egress.allowed = parse_cidrs("127.0.0.0/8")
    yield
    state.services.egress.allowed = saved


def test_internal_addresses_are_refused_unless_allowed(model_server: LiveServer, admin: Api) -> None:
    ws = admin.create_workspace()["id"]
    for url in (
        f"{model_server.url}/v1",
        "http://169.254.169.254/latest",
        "http://10.1.2.3/v1",
        "http://[::1]:8/v1",
    ):
        r = admin.post(f"/api/workspaces/{ws}/providers", json={"name": "x", "base_url": url})
        assert_error(r, 403, "egress_refused")
    assert_error(admin.post(f"/api/workspaces/{ws}/providers", json={"name": "x", "base_url": "ftp://a.b/"}), 400)
    assert_error(
        admin.post(f"/api/workspaces/{ws}/providers", json={"name": "Bad Name", "base_url": "http://a.b"}),
        422,
    )


def test_provider_models_are_served_through_the_gateway(
    model_server: LiveServer, admin: Api, loopback_allowed: None
) -> None:
    ws = admin.create_workspace()["id"]
    r, upstream_key = add_self_provider(admin, model_server.url, ws)
    provider: dict[str, Any] = r.json()
    assert provider["has_api_key"] and "api_key" not in provider and upstream_key not in r.text
    with psycopg.connect(model_server.database_url) as conn:
        stored = conn.execute("SELECT api_key_encrypted FROM providers WHERE id = %s", (provider["id"],)).fetchone()
    assert stored is not None and upstream_key.encode() not in bytes(stored[0]), "the key is encrypted at rest"
    assert upstream_key not in admin.get(f"/api/workspaces/{ws}/providers").text

    test = admin.post(f"/api/workspaces/{ws}/providers/{provider['id']}/test").json()
    assert test["ok"] and SMOLLM2_NAME in test["models"] and test["latency_ms"] >= 0

    client = openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=admin.create_key(ws)["key"], max_retries=0)
    remote_name = f"self/{SMOLLM2_NAME}"
    assert remote_name in [m.id for m in client.models.list().data]
    r1 = client.chat.completions.create(model=remote_name, messages=[{"role": "user", "content": "Hi"}], max_tokens=5)
    assert r1.choices[0].message.content and r1.usage.completion_tokens > 0  # type: ignore[union-attr]
    streamed = [
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(
            model=remote_name, messages=[{"role": "user", "content": "Hi"}], max_tokens=5, stream=True
        )
        if c.choices
    ]
    assert "".join(streamed)
    emb = client.embeddings.create(model=f"self/{MINILM_NAME}", input=["remote vectors"])
    assert len(emb.data[0].embedding) == 384

    # Another workspace's key sees nothing of this workspace's providers.
    other = openai.OpenAI(base_url=f"{model_server.url}/v1", api_key=admin.create_key(admin.default_workspace())["key"],
                          max_retries=0)  # fmt: skip
    assert remote_name not in [m.id for m in other.models.list().data]
    with pytest.raises(openai.NotFoundError):
        other.chat.completions.create(model=remote_name, messages=[{"role": "user", "content": "Hi"}])

    # A wrong key shows up in "test connection".
    admin.patch(f"/api/workspaces/{ws}/providers/{provider['id']}", json={"api_key": "hzk_wrong"})
    bad = admin.post(f"/api/workspaces/{ws}/providers/{provider['id']}/test").json()
    assert not bad["ok"] and "401" in bad["error"]
    with pytest.raises(openai.AuthenticationError):  # the provider's own answer comes back as it was
        client.chat.completions.create(model=remote_name, messages=[{"role": "user", "content": "Hi"}])

    assert admin.delete(f"/api/workspaces/{ws}/providers/{provider['id']}").status_code == 204
    assert remote_name not in [m.id for m in client.models.list().data]


def test_only_workspace_admins_manage_providers(model_server: LiveServer, admin: Api) -> None:
    ws = admin.create_workspace()["id"]
    user = admin.create_user()
    admin.add_member(ws, user["username"], "editor")
    editor = model_server.api().login(user["username"], user["password"])
    r = editor.post(f"/api/workspaces/{ws}/providers", json={"name": "x", "base_url": "https://example.com/v1"})
    assert_error(r, 403, "forbidden")
    assert editor.get(f"/api/workspaces/{ws}/providers").status_code == 200
