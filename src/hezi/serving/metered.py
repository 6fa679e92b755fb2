"""Embeddings hezi makes for itself — ingesting documents, embedding retrieval queries and edited chunks — metered
like API calls: to the knowledge base's workspace, with no user or key, under the endpoint "knowledge"."""

from __future__ import annotations

import uuid

from hezi.serving.client import EmbedRole, ModelClient
from hezi.serving.usage import Attribution

ENDPOINT = "knowledge"


class MeteredEmbedder:
    """knowledge's embedding port (hezi.knowledge.access.Embed), over the model client."""

    def __init__(self, models: ModelClient) -> None:
        self.models = models

    async def __call__(
        self, model: str, texts: list[str], workspace_id: uuid.UUID | None = None, *, role: EmbedRole = "document"
    ) -> list[list[float]]:
        # A chunk longer than the model reads (a PDF whose words run together counts more tokens than estimated)
        # is embedded on its beginning, as sentence-transformers does; its full text stays searchable.
        result = await self.models.embed(
            model, texts, Attribution(workspace_id), endpoint=ENDPOINT, truncate=True, role=role
        )
        return result.vectors
