"""Who may reach which knowledge base: the workspace check every knowledge service starts with, and its errors;
and the ports through which knowledge reaches models it does not own (embedding, reranking)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts.principal import Caller
from hezi.accounts.roles import Role
from hezi.accounts.workspaces import WorkspaceService
from hezi.db.tables import Document, KnowledgeBase
from hezi.errors import NotFound


class Embed(Protocol):
    """(model, texts) → vectors; `workspace_id` is whom the embedding is metered to. `role` says whether the texts
    are questions or the documents they are asked of: models trained with a prefix for each (E5's "query: " and
    "passage: ") declare them, and get them; the others read the texts as they are."""

    async def __call__(
        self,
        model: str,
        texts: list[str],
        workspace_id: uuid.UUID | None = None,
        *,
        role: Literal["query", "document"] = "document",
    ) -> list[list[float]]: ...


class Rerank(Protocol):
    """(workspace, model, query, passages) → one relevance score per passage, higher is better. Built once at start
    (serving's Reranker resolves the workspace's provider in a short session of its own)."""

    async def __call__(self, workspace_id: uuid.UUID, model: str, query: str, passages: list[str]) -> list[float]: ...


Defer = Callable[[uuid.UUID], Awaitable[None]]  # queue a document's ingestion


class KnowledgeBaseNotFound(NotFound):
    code = "knowledge_base_not_found"


class DocumentNotFound(NotFound):
    code = "document_not_found"


async def workspace(
    db: AsyncSession, caller: Caller, workspace_id: uuid.UUID, *, write: bool, action: str = ""
) -> None:
    """Members read knowledge bases; editors and above change them."""
    acc = await WorkspaceService(db).access(caller, workspace_id)
    if write:
        acc.require(Role.EDITOR, action or "change knowledge bases")


async def knowledge_base(
    db: AsyncSession, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, *, write: bool, action: str = ""
) -> KnowledgeBase:
    """The knowledge base if the caller may see it (and change it, with `write`)."""
    await workspace(db, caller, workspace_id, write=write, action=action)
    kb = await db.scalar(
        select(KnowledgeBase).where(KnowledgeBase.id == kb_id, KnowledgeBase.workspace_id == workspace_id)
    )
    if kb is None:
        raise KnowledgeBaseNotFound("No such knowledge base in this workspace.")
    return kb


async def document(db: AsyncSession, kb_id: uuid.UUID, doc_id: uuid.UUID) -> Document:
    doc = await db.scalar(select(Document).where(Document.id == doc_id, Document.knowledge_base_id == kb_id))
    if doc is None:
        raise DocumentNotFound("No such document in this knowledge base.")
    return doc
