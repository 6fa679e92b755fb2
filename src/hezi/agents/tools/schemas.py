"""API shapes of the tools: the workspace's tool providers (OpenAPI documents, MCP servers) and the tool list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

ProviderName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
HeaderName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$")]
HeaderValue = Annotated[str, StringConstraints(max_length=8000, pattern=r"^[^\r\n]*$")]
Kind = Literal["openapi", "mcp"]
# The largest document that may be pasted (a fetched one is bounded the same way).
MAX_SPEC_CHARS = 5_000_000


class ToolAuth(BaseModel):
    """How calls are authenticated: nothing, an API key in a named header, or a bearer token. `value` is stored
    encrypted and never returned."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "api_key", "bearer"] = "none"
    header: HeaderName | None = Field(default=None, description="api_key: the header that carries it (X-API-Key)")
    value: HeaderValue | None = Field(default=None, description="the key or token; omitted on update: kept")

    @field_validator("header", mode="before")
    @classmethod
    def _blank_is_the_default(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v


class ToolProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProviderName
    kind: Kind
    spec: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SPEC_CHARS)] | None = Field(
        default=None, description="openapi: the OpenAPI 3 document, JSON or YAML"
    )
    spec_url: Url | None = Field(default=None, description="openapi: where to fetch the document instead")
    server_url: Url | None = Field(
        default=None, description="openapi: the base URL of the calls (default: the document's first server)"
    )
    url: Url | None = Field(default=None, description="mcp: the server's streamable HTTP endpoint")
    headers: dict[HeaderName, HeaderValue] | None = Field(
        default=None, max_length=50, description="mcp: headers sent with every request (stored encrypted)"
    )
    auth: ToolAuth = Field(default_factory=ToolAuth)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> ToolProviderCreate:
        check_kind_fields(self.kind, self.spec, self.spec_url, self.url, self.headers)
        if self.auth.type != "none" and not self.auth.value:
            raise ValueError(f"auth of type {self.auth.type!r} needs its 'value'")
        return self


class ToolProviderUpdate(BaseModel):
    """ToolProviderCreate's fields, all optional. Giving `spec` drops a stored `spec_url` and the other way round;
    an `auth` without `value` keeps the stored secret when its type still needs one; `headers` replaces them all."""

    model_config = ConfigDict(extra="forbid")

    name: ProviderName | None = None
    kind: Kind | None = None
    spec: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SPEC_CHARS)] | None = None
    spec_url: Url | None = None
    server_url: Url | None = Field(default=None, description="empty string: use the document's first server")
    url: Url | None = None
    headers: dict[HeaderName, HeaderValue] | None = Field(default=None, max_length=50)
    auth: ToolAuth | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ToolProviderUpdate:
        if self.spec is not None and self.spec_url is not None:
            raise ValueError("give either 'spec' or 'spec_url', not both")
        return self


def check_kind_fields(
    kind: str, spec: str | None, spec_url: str | None, url: str | None, headers: dict[str, str] | None
) -> None:
    """Raise ValueError unless the fields fit the kind: an OpenAPI document from one source, or an MCP URL."""
    if kind == "openapi":
        if (spec is None) == (spec_url is None):
            raise ValueError("an openapi provider needs either 'spec' (the document) or 'spec_url', not both")
        if url is not None or headers:
            raise ValueError("'url' and 'headers' are for mcp providers")
    else:
        if url is None:
            raise ValueError("an mcp provider needs 'url' (its streamable HTTP endpoint)")
        if spec is not None or spec_url is not None:
            raise ValueError("'spec' and 'spec_url' are for openapi providers")


class ToolAuthPublic(BaseModel):
    type: str
    header: str | None
    has_secret: bool


class ToolSummary(BaseModel):
    name: str
    description: str
    parameters: dict[str, Any]


class ToolProviderPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    config: dict[str, Any]
    auth: ToolAuthPublic
    tools: list[ToolSummary]
    created_at: datetime
    updated_at: datetime


class ToolProvidersPublic(BaseModel):
    data: list[ToolProviderPublic]
    count: int


class ToolInfo(BaseModel):
    """A tool an agent of the workspace may use, as the builder lists it."""

    provider: str  # "builtin" or the provider's id
    provider_name: str
    name: str
    description: str
    parameters: dict[str, Any]


class ToolsPublic(BaseModel):
    data: list[ToolInfo]
    count: int
