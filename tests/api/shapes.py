"""Asserting each API's error shape: hezi's own (the console), OpenAI's, Dify's."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import assert_error


def console_error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """{"error": {"code", "message", "details"}}."""
    return assert_error(r, status, code)


def openai_error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """{"error": {"message", "type", "param", "code"}}, as OpenAI's SDKs parse it."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) - {"details"} == {"message", "type", "param", "code"}, body
    assert isinstance(error["message"], str) and error["message"] and isinstance(error["type"], str), body
    if code is not None:
        assert error["code"] == code, body
    return dict(error)


def dify_error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """{"code", "message", "status"} (and "params" naming a bad field), with Dify's codes."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) - {"params"} == {"code", "message", "status"}, body
    assert body["status"] == status and isinstance(body["message"], str) and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return dict(body)
