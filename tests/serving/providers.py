"""hezi's own /v1 on loopback, registered as a workspace's remote provider: a real OpenAI-compatible server."""

from __future__ import annotations

import httpx

from hezi.serving.bundled import MINILM_NAME, SMOLLM2_NAME
from tests.helpers import Api


def add_self_provider(admin: Api, server_url: str, workspace_id: str) -> tuple[httpx.Response, str]:
    """Register provider "self" (the bundled chat and embedding models) with a fresh upstream key of the default
    workspace; returns the creation response and that key. Loopback must be allowed by the egress policy."""
    upstream_key = str(admin.create_key(admin.default_workspace(), name="upstream")["key"])
    r = admin.post(
        f"/api/workspaces/{workspace_id}/providers",
        json={"name": "self", "base_url": f"{server_url}/v1", "api_key": upstream_key,
              "models": [SMOLLM2_NAME, MINILM_NAME]},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r, upstream_key
