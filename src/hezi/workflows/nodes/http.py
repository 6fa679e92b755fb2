"""HTTP request: Dify's method, url, headers and params ("key:value" lines with {{#node.var#}} references),
authorization and body, sent through the egress guard (every redirect hop checked) within the node's timeout."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from hezi.errors import DomainError
from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read, template_reads
from hezi.workflows.pool import VariablePool

MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "hezi-workflow/0.1 (http-request node)"


class AuthConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["basic", "bearer", "custom"] | None = None
    api_key: str | None = None
    header: str | None = None


class Authorization(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["no-auth", "api-key"] = "no-auth"
    config: AuthConfig | None = None


class BodyItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key: str = ""
    type: Literal["text", "file"] = "text"
    value: str = ""


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["none", "form-data", "x-www-form-urlencoded", "raw-text", "json", "binary"] = "none"
    # Dify's older files hold the body as text; newer ones as a list of items ({key, type, value}).
    data: str | list[BodyItem] | None = None


class Timeout(BaseModel):
    model_config = ConfigDict(extra="ignore")

    connect: float | None = None
    read: float | None = None
    write: float | None = None
    max_connect_timeout: float | None = None
    max_read_timeout: float | None = None
    max_write_timeout: float | None = None


class HttpRequestData(NodeData):
    method: Literal["get", "post", "put", "patch", "delete", "head", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    url: str = Field(min_length=1)
    authorization: Authorization = Field(default_factory=Authorization)
    headers: str = ""
    params: str = ""
    body: Body | None = None
    timeout: Timeout | None = None


class HttpRequest(NodeType[HttpRequestData]):
    type = "http-request"
    Data = HttpRequestData

    def outputs(self) -> dict[str, VarType]:
        return {"status_code": "number", "body": "string", "headers": "object", "files": "array[file]"}

    def reads(self) -> list[Read]:
        d = self.data
        reads = template_reads("url", d.url) + template_reads("headers", d.headers) + template_reads("params", d.params)
        if d.body is not None:
            if isinstance(d.body.data, str):
                reads += template_reads("body.data", d.body.data)
            elif d.body.data:
                for n, item in enumerate(d.body.data):
                    reads += template_reads(f"body.data.{n}.value", item.value)
        return reads

    def _timeout(self) -> float:
        t = self.data.timeout
        parts = [v for v in (t.connect, t.read, t.write) if v] if t else []
        return float(sum(parts)) if parts else 60.0

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        d = self.data
        url = pool.render(d.url).strip()
        headers = {"User-Agent": USER_AGENT, **_lines(pool.render(d.headers))}
        params = _lines(pool.render(d.params))
        headers |= self._auth(pool)
        content, form = self._body(pool, headers)
        method = d.method.upper()
        timeout = ctx.wf.run.time_left(self._timeout())
        if timeout <= 0:
            raise NodeFailed("No time is left for an HTTP request in this run.", code="timeout")
        inputs = {"method": method, "url": url, "params": params}
        try:
            if params:
                url = str(httpx.URL(url).copy_merge_params(params))
            if form is not None:
                content = _encoded_form(
                    form, multipart=d.body is not None and d.body.type == "form-data", headers=headers
                )
        except (httpx.InvalidURL, ValueError) as exc:
            raise NodeFailed(f"The URL is not valid: {exc}", code="invalid_url") from None
        c = self.data.authorization.config
        credentials = [c.header] if c is not None and c.header and self._custom_header() else []
        try:
            async with asyncio.timeout(timeout):
                stream = ctx.wf.run.egress.stream(
                    method, url, headers=headers, content=content, io_timeout=timeout, credentials=credentials
                )
                async with stream as r:
                    body = await _read(r)
        except TimeoutError:
            raise NodeFailed(f"{url} did not answer within {timeout:g} s.", code="timeout") from None
        except DomainError as exc:
            raise NodeFailed(exc.message, code=exc.code) from None
        except httpx.HTTPError as exc:
            raise NodeFailed(f"Cannot reach {url}: {exc or type(exc).__name__}", code="http_error") from None
        text = body.decode(r.charset_encoding or "utf-8", errors="replace")
        return NodeResult(
            {"status_code": r.status_code, "body": text, "headers": dict(r.headers), "files": []}, inputs=inputs
        )

    def _custom_header(self) -> bool:
        c = self.data.authorization.config
        return self.data.authorization.type == "api-key" and c is not None and c.type == "custom" and bool(c.header)

    def _auth(self, pool: VariablePool) -> dict[str, str]:
        a = self.data.authorization
        if a.type == "no-auth" or a.config is None or not a.config.api_key:
            return {}
        key = pool.render(a.config.api_key)
        if a.config.type == "basic":
            encoded = key if ":" not in key else base64.b64encode(key.encode()).decode()
            return {"Authorization": f"Basic {encoded}"}
        if a.config.type == "custom":
            return {a.config.header or "Authorization": key}
        return {"Authorization": f"Bearer {key}"}

    def _body(self, pool: VariablePool, headers: dict[str, str]) -> tuple[bytes | None, dict[str, str] | None]:
        b = self.data.body
        if b is None or b.type == "none" or b.data in (None, "", []):
            return None, None
        has_type = any(k.lower() == "content-type" for k in headers)
        if isinstance(b.data, list):
            items = {pool.render(i.key): pool.render(i.value) for i in b.data if i.type == "text"}
            if b.type in ("form-data", "x-www-form-urlencoded"):
                return None, items
            raw = pool.render(b.data[0].value) if b.data else ""
        else:
            raw = pool.render(b.data or "")
            if b.type in ("form-data", "x-www-form-urlencoded"):
                return None, _lines(raw)
        if b.type == "json":
            try:
                json.loads(raw)
            except ValueError:
                raise NodeFailed("The JSON body is not valid JSON.", code="invalid_body") from None
            if not has_type:
                headers["Content-Type"] = "application/json"
        elif not has_type:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return raw.encode(), None


def _lines(text: str) -> dict[str, str]:
    """Dify's "key:value" lines (one a line) as a dict."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _encoded_form(form: dict[str, str], *, multipart: bool, headers: dict[str, str]) -> bytes:
    """A form as the body's bytes, its content type (with the multipart boundary) put in the headers."""
    request = httpx.Request(
        "POST",
        "http://form.invalid/",
        **({"files": {k: (None, v) for k, v in form.items()}} if multipart else {"data": form}),
    )
    headers["Content-Type"] = request.headers["Content-Type"]
    return request.read()


async def _read(response: httpx.Response) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise NodeFailed(f"The response is larger than {MAX_BODY_BYTES} bytes.", code="response_too_large")
    return bytes(data)
