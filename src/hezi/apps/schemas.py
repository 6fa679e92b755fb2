"""What the console sends and gets about apps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# Lower-case letters, digits and hyphens: the slug is part of a model name (`app-{slug}`) and of URLs.
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Access = Literal["public", "password", "workspace"]
# An origin as browsers send it: scheme, host and an optional port, no path.
Origin = Annotated[str, StringConstraints(pattern=r"^https?://[A-Za-z0-9.\-\[\]:]+$", max_length=255)]


class Channels(BaseModel):
    """Which ways in are open. The API channels need an app key; the web app and widget follow `access`."""

    model_config = ConfigDict(extra="forbid")

    web_app: bool = True
    widget: bool = False
    api: bool = True  # Dify's service API under /v1
    openai: bool = True  # the app as the model `app-{slug}` on /v1/chat/completions
    mcp: bool = False  # the app as one tool of an MCP server


class AppCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: uuid.UUID
    # Default: the agent's latest published version.
    agent_version: Annotated[int, Field(ge=1)] | None = None
    name: Name | None = None  # default: the agent's name
    slug: Slug | None = None  # default: made from the name
    channels: Channels = Field(default_factory=Channels)
    access: Access = "public"
    password: Annotated[str, StringConstraints(min_length=4, max_length=128)] | None = None


class AppUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    slug: Slug | None = None
    enabled: bool | None = None
    channels: Channels | None = None
    access: Access | None = None
    password: Annotated[str, StringConstraints(min_length=4, max_length=128)] | None = None
    allowed_origins: Annotated[list[Origin], Field(max_length=50)] | None = None
    # 0 removes a limit.
    rate_limit_rpm: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    token_limit_per_day: Annotated[int, Field(ge=0)] | None = None


class AppRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_version: Annotated[int, Field(ge=1)]


class ReleasePublic(BaseModel):
    agent_version: int
    rollback: bool
    created_by: str | None
    created_at: datetime


class ReleasesPublic(BaseModel):
    data: list[ReleasePublic]


class AppPublic(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    agent_id: uuid.UUID
    agent_name: str
    agent_version: int
    latest_version: int | None = Field(description="the agent's newest published version, to offer an upgrade")
    name: str
    slug: str
    model: str = Field(description="the app's name as an OpenAI model on /v1/chat/completions")
    web_app_path: str = Field(description="the web app's address on this server")
    enabled: bool
    channels: Channels
    access: Access
    has_password: bool
    allowed_origins: list[str]
    rate_limit_rpm: int | None
    token_limit_per_day: int | None
    created_at: datetime
    updated_at: datetime


class AppsPublic(BaseModel):
    data: list[AppPublic]
