"""API shapes of the serving domain (the console's Models page)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DeploymentSpec(BaseModel):
    """How to run a model. Omitted numbers get sensible defaults (context: the model's, up to 4096)."""

    model_config = ConfigDict(extra="forbid")

    context_size: Annotated[int, Field(ge=128, le=1_048_576)] | None = None
    parallel: Annotated[int, Field(ge=1, le=64)] = 4
    replicas: Annotated[int, Field(ge=1, le=16)] = 1
    pinned_prefixes: Annotated[int, Field(ge=0, le=16)] = Field(
        default=2,
        description="sequences a chat model keeps for published apps' prompts (system prompt and tools), computed "
        "when an app is published and copied into each new conversation; each holds a context's worth of KV "
        "memory. Ignored for embedding models.",
    )
    kv_unified: bool = Field(
        default=False,
        description="one KV cache for all sequences of a chat model: a prefix users share is held once and a "
        "decode with many users' prompts runs in one piece (several times faster for many users of one agent); "
        "off, each sequence has a cache of its own and answers at temperature 0 do not depend on what else is "
        "cached. Ignored for embedding models.",
    )
    # Placement: left out, hezi chooses (the GPU with the most free memory and as many layers as fit, else the
    # CPU with one thread per core); given, they override its choice. gpu_layers -1 means all.
    threads: Annotated[int, Field(ge=1, le=512)] | None = None
    gpu_layers: Annotated[int, Field(ge=-1, le=10_000)] | None = None
    device: Annotated[str, Field(pattern=r"^(cpu|cuda:\d{1,2})$")] | None = None
    force: bool = Field(default=False, description="deploy even when the estimate says it will not fit")


class InstancePublic(BaseModel):
    """One worker process of a deployment."""

    index: int
    status: Literal["starting", "ready", "failed", "stopped"]
    pid: int | None
    restarts: int
    in_flight: int
    last_error: str | None
    uptime_s: float | None


class PrefixCachePublic(BaseModel):
    """What a chat deployment's workers did not compute again, summed over its ready instances since they started
    (read from them when asked)."""

    prefix_hits: int = Field(description="requests that started from another sequence's or a pinned prefix's K/V")
    pinned_hits: int = Field(description="of those, from a pinned prefix")
    tokens_reused: int = Field(description="prompt tokens not computed: from a slot's own cache or copied")
    tokens_copied: int = Field(description="of those, copied from another sequence or a pinned prefix")
    pinned: int = Field(description="pinned prefixes held now")
    pinned_capacity: int = Field(description="pinned prefixes the instances can hold")
    pinned_tokens: int = Field(description="tokens the pinned prefixes hold")
    pinned_bytes: int = Field(description="KV memory those tokens occupy")
    pinned_reserved_bytes: int = Field(description="KV memory reserved for pinned prefixes (a context each)")
    warmed: int = Field(description="prefixes computed for published apps since the instances started")
    evicted: int = Field(description="pinned prefixes dropped for newer ones (least recently used first)")


class DeploymentPublic(BaseModel):
    id: uuid.UUID
    context_size: int
    threads: int
    gpu_layers: int
    device: str
    parallel: int
    pinned_prefixes: int
    kv_unified: bool
    replicas: int
    desired: Literal["running", "stopped"]
    status: Literal["ready", "starting", "failed", "stopped"]
    instances: list[InstancePublic]
    prefix_cache: PrefixCachePublic | None = Field(
        default=None, description="chat deployments with a ready instance; null otherwise"
    )


class ModelPublic(BaseModel):
    id: uuid.UUID
    name: str
    kind: Literal["chat", "embedding"]
    source: Literal["bundled", "path", "upload"]
    path: str
    sha256: str
    size_bytes: int
    architecture: str
    parameter_count: int
    quantization: str
    context_length: int
    embedding_length: int
    has_chat_template: bool
    embedding_prefixes: dict[str, str] = Field(
        default_factory=dict,
        description='what an embedding model reads before a question ("query") or a document ("document"), '
        "added by knowledge bases when they embed; empty for models trained without prefixes",
    )
    created_at: datetime
    deployment: DeploymentPublic | None


class ModelsPublic(BaseModel):
    data: list[ModelPublic]
    count: int


class ModelImportPath(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Annotated[str, Field(min_length=1, max_length=4096)]
    name: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class ModelLogs(BaseModel):
    lines: list[str]


class FitCheck(BaseModel):
    """The estimate for a deployment against free memory, and where hezi would place it."""

    context_size: int
    parallel: int
    pinned_prefixes: int
    placement: dict[str, Any]
    fits: bool
    total: int
    devices: list[dict[str, Any]]
    suggestions: list[dict[str, Any]]
