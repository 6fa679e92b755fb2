"""Knowledge retrieval: the query variable searched in the knowledge bases (`dataset_ids`, hezi's knowledge base
ids) through the run's Retriever; `result` is Dify's list of {content, title, metadata}."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hezi.errors import DomainError
from hezi.knowledge.schemas import RetrievalSettings
from hezi.workflows.graph import VarType
from hezi.workflows.nodes.base import NodeContext, NodeData, NodeFailed, NodeResult, NodeType, Read
from hezi.workflows.pool import VariablePool, text_of


class RerankingModel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    provider: str = ""
    model: str = ""


class MultipleRetrievalConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    top_k: int = Field(default=4, ge=1, le=100)
    score_threshold: float | None = None
    reranking_enable: bool = False
    reranking_mode: str = "reranking_model"
    reranking_model: RerankingModel | None = None


class KnowledgeRetrievalData(NodeData):
    query_variable_selector: list[str] = Field(min_length=2)
    dataset_ids: list[uuid.UUID] = Field(default_factory=list)
    retrieval_mode: Literal["single", "multiple"] = "multiple"
    multiple_retrieval_config: MultipleRetrievalConfig | None = None


class KnowledgeRetrieval(NodeType[KnowledgeRetrievalData]):
    type = "knowledge-retrieval"
    Data = KnowledgeRetrievalData

    def outputs(self) -> dict[str, VarType]:
        return {"result": "array[object]"}

    def reads(self) -> list[Read]:
        return [Read("query_variable_selector", self.data.query_variable_selector, "string")]

    def settings(self) -> RetrievalSettings:
        c = self.data.multiple_retrieval_config or MultipleRetrievalConfig()
        rerank = None
        if c.reranking_enable and c.reranking_model and c.reranking_model.model:
            m = c.reranking_model
            rerank = m.model if not m.provider or m.provider == "hezi" else f"{m.provider}/{m.model}"
        return RetrievalSettings(top_k=c.top_k, score_threshold=c.score_threshold, rerank_model=rerank)

    async def run(self, pool: VariablePool, ctx: NodeContext) -> NodeResult:
        query = text_of(pool.get(self.data.query_variable_selector, None)).strip()
        inputs = {"query": query}
        if not query:
            raise NodeFailed("The query is empty.", code="empty_query")
        if not self.data.dataset_ids:
            return NodeResult({"result": []}, inputs=inputs)
        run = ctx.wf.run
        try:
            found = await run.retriever.retrieve(run.workspace_id, self.data.dataset_ids, query, self.settings())
        except DomainError as exc:
            raise NodeFailed(exc.message, code=exc.code) from None
        result: list[dict[str, Any]] = [
            {
                "content": hit.passage,
                "title": hit.document_name,
                "metadata": {
                    "position": hit.position,
                    "score": float(hit.score),
                    "dataset_id": str(hit.knowledge_base_id),
                    "dataset_name": hit.knowledge_base_name,
                    "document_id": str(hit.document_id),
                    "document_name": hit.document_name,
                    "segment_id": hit.chunk_id,
                },
            }
            for hit in found.hits
        ]
        return NodeResult({"result": result}, inputs=inputs)
