"""The OpenAI-compatible gateway under /v1: models, chat completions, completions, embeddings."""

from hezi.api.openai.routes import router

__all__ = ["router"]
