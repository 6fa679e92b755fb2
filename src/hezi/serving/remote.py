"""Calling a remote OpenAI-compatible provider on a client's behalf, streaming included."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from hezi.errors import Unavailable
from hezi.serving.providers import TIMEOUT, RemoteTarget


class ProviderFailed(Unavailable):
    code = "provider_failed"


def _headers(target: RemoteTarget) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.api_key}"} if target.api_key else {}


async def call(target: RemoteTarget, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """A non-streaming call: the provider's status and JSON body."""
    try:
        async with target.client(TIMEOUT) as http:
            r = await http.post(
                f"{target.base_url}{path}", json={**body, "model": target.model}, headers=_headers(target)
            )
    except httpx.HTTPError as exc:
        raise ProviderFailed(f"The provider at {target.base_url} could not be reached: {exc}") from exc
    try:
        data = r.json()
    except json.JSONDecodeError:
        raise ProviderFailed(f"The provider answered {r.status_code} with a body that is not JSON.") from None
    return r.status_code, data


async def stream(target: RemoteTarget, path: str, body: dict[str, Any]) -> tuple[int, AsyncIterator[bytes]]:
    """A streaming call: the status, then the provider's server-sent event lines as they arrive."""
    http = target.client(TIMEOUT)
    try:
        request = http.build_request(
            "POST", f"{target.base_url}{path}", json={**body, "model": target.model}, headers=_headers(target)
        )
        response = await http.send(request, stream=True)
    except httpx.HTTPError as exc:
        await http.aclose()
        raise ProviderFailed(f"The provider at {target.base_url} could not be reached: {exc}") from exc

    async def lines() -> AsyncIterator[bytes]:
        try:
            async for line in response.aiter_lines():
                yield (line + "\n").encode()
        except httpx.HTTPError as exc:
            err = {"error": {"message": f"The provider stopped streaming: {exc}", "type": "server_error",
                             "code": "provider_failed"}}  # fmt: skip
            yield f"data: {json.dumps(err)}\n\n".encode()
        finally:
            await response.aclose()
            await http.aclose()

    return response.status_code, lines()
