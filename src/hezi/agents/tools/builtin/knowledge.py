"""The knowledge_search tool: the agent's own knowledge bases searched for a query, with its retrieval settings.

The passages come back numbered for the model, and as `citations` (the retriever's hits) for the loop to cite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from hezi.agents.tools.base import ToolFailed, ToolResult
from hezi.errors import DomainError
from hezi.knowledge.schemas import RetrievalSettings

if TYPE_CHECKING:
    from hezi.agents.context import RunContext

MAX_TOP_K = 10


class KnowledgeSearch:
    name = "knowledge_search"
    description = "Search the knowledge base for passages about a question."

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "what to look for"},
                "top_k": {"type": "integer", "minimum": 1, "maximum": MAX_TOP_K, "description": "how many passages"},
            },
            "required": ["query"],
        }

    async def call(self, args: dict[str, Any], ctx: RunContext) -> ToolResult:
        if not ctx.knowledge_base_ids:
            raise ToolFailed("This agent has no knowledge base to search.", code="no_knowledge_base")
        query = args.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ToolFailed("Give the query to search for.")
        settings = _settings(ctx.retrieval, args.get("top_k"))
        try:
            found = await ctx.retriever.retrieve(ctx.workspace_id, ctx.knowledge_base_ids, query, settings)
        except DomainError as exc:
            raise ToolFailed(exc.message, code=exc.code) from None
        if not found.hits:
            return ToolResult(f"No passages found for {query!r}.")
        text = "\n\n".join(f"[{ctx.cited + hit.position}] {hit.document_name}\n{hit.passage}" for hit in found.hits)
        return ToolResult(text, citations=tuple(found.hits))


def _settings(retrieval: dict[str, object], top_k: object) -> RetrievalSettings:
    """The agent's retrieval settings, with the model's top_k (within 1…MAX_TOP_K) when it asked for one."""
    try:
        settings = RetrievalSettings.model_validate(retrieval)
    except ValidationError as exc:
        raise ToolFailed(f"The agent's retrieval settings are invalid: {exc.errors()[0]['msg']}") from None
    if isinstance(top_k, int | float) and not isinstance(top_k, bool):
        settings = settings.model_copy(update={"top_k": max(1, min(MAX_TOP_K, int(top_k)))})
    return settings
