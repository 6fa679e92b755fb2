"""Embeddings hezi makes for itself — ingesting documents, embedding retrieval queries and edited chunks — metered
like API calls: to the knowledge base's workspace, with no user or key, under the endpoint "knowledge"."""

from __future__ import annotations

import time
import uuid

from hezi.errors import DomainError
from hezi.serving.gateway import Gateway
from hezi.serving.usage import Usage, UsageMeter

ENDPOINT = "knowledge"


class MeteredEmbedder:
    def __init__(self, gateway: Gateway, meter: UsageMeter) -> None:
        self.gateway = gateway
        self.meter = meter

    async def __call__(self, model: str, texts: list[str], workspace_id: uuid.UUID | None = None) -> list[list[float]]:
        started = time.monotonic()
        usage = Usage(workspace_id=workspace_id, user_id=None, api_key_id=None, model=model, endpoint=ENDPOINT)
        try:
            # A chunk longer than the model reads (a PDF whose words run together counts more tokens than estimated)
            # is embedded on its beginning, as sentence-transformers does; its full text stays searchable.
            vectors, usage.prompt_tokens = await self.gateway.embed(model, texts, truncate=True)
            return vectors
        except DomainError as exc:
            usage.status = exc.code
            raise
        finally:
            usage.latency_ms = int((time.monotonic() - started) * 1000)
            self.meter.record(usage)
