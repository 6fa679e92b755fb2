"""Reranking through a provider's `/rerank` endpoint — the shape Jina, Cohere v2, vLLM, Xinference and llama.cpp's
server share: {model, query, documents} → {results: [{index, relevance_score}]}.

`Reranker` is knowledge's rerank port (`hezi.knowledge.access.Rerank`), built once at start over the provider
directory: the look-up opens its own short session, so no database connection is held while the reranker answers."""

from __future__ import annotations

import uuid
from typing import Protocol

from hezi.errors import InvalidInput
from hezi.serving import remote
from hezi.serving.providers import RemoteTarget


class RerankerNotFound(InvalidInput):
    code = "reranker_not_found"


class Providers(Protocol):
    """What the reranker needs of providers: ProviderDirectory (built once) or a request's ProviderService."""

    async def resolve(self, workspace_id: uuid.UUID | None, model: str) -> RemoteTarget | None: ...


class Reranker:
    """Scores passages for a query with a workspace's provider model ("provider/model")."""

    def __init__(self, providers: Providers) -> None:
        self.providers = providers

    async def __call__(self, workspace_id: uuid.UUID, model: str, query: str, passages: list[str]) -> list[float]:
        target = await self.providers.resolve(workspace_id, model)
        if target is None:
            raise RerankerNotFound(
                f"No reranker {model!r} in this workspace: name a provider's model as provider/model "
                "(Settings → Model providers); local GGUF rerankers are not served yet.",
                details={"model": model},
            )
        status, data = await remote.call(target, "/rerank", {"query": query, "documents": passages})
        if status >= 400:
            raise remote.ProviderFailed(f"The reranker answered {status}: {str(data)[:300]}")
        scores = [0.0] * len(passages)
        try:
            for r in data["results"]:
                scores[int(r["index"])] = float(r["relevance_score"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise remote.ProviderFailed(f"The reranker's answer is not a rerank result: {exc!r}") from None
        return scores
