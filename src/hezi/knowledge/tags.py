"""Tags of a workspace's knowledge bases: create, rename, delete, bind to bases and unbind, list them with how many
bases each is bound to. Members read tags; editors and above change them and their bindings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.db.base import utcnow
from hezi.db.tables import KnowledgeBase, KnowledgeBaseTag, KnowledgeTag
from hezi.errors import InvalidInput, NotFound
from hezi.knowledge import access

MAX_NAME = 50


class TagNotFound(NotFound):
    code = "tag_not_found"


class TagNameTaken(InvalidInput):
    code = "tag_name_taken"


@dataclass(frozen=True)
class Tag:
    id: uuid.UUID
    name: str
    bases: int  # knowledge bases it is bound to


class TagService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list_tags(self, caller: Caller, workspace_id: uuid.UUID) -> list[Tag]:
        await access.workspace(self.db, caller, workspace_id, write=False)
        rows = await self.db.execute(
            select(KnowledgeTag, func.count(KnowledgeBaseTag.knowledge_base_id))
            .outerjoin(KnowledgeBaseTag, KnowledgeBaseTag.tag_id == KnowledgeTag.id)
            .where(KnowledgeTag.workspace_id == workspace_id)
            .group_by(KnowledgeTag.id)
            .order_by(KnowledgeTag.created_at, KnowledgeTag.id)
        )
        return [Tag(t.id, t.name, int(n)) for t, n in rows.all()]

    async def create(self, caller: Caller, workspace_id: uuid.UUID, name: str) -> Tag:
        await access.workspace(self.db, caller, workspace_id, write=True, action="change knowledge tags")
        tag = KnowledgeTag(workspace_id=workspace_id, name=_name(name), created_by=caller.principal.user_id,
                           created_at=utcnow())  # fmt: skip
        self.db.add(tag)
        await self._flush(tag.name)
        audit.record_for(self.db, caller, "knowledge_tag.created", workspace_id=workspace_id, target=tag.name)
        await self.db.commit()
        return Tag(tag.id, tag.name, 0)

    async def rename(self, caller: Caller, workspace_id: uuid.UUID, tag_id: uuid.UUID, name: str) -> Tag:
        await access.workspace(self.db, caller, workspace_id, write=True, action="change knowledge tags")
        tag = await self._tag(workspace_id, tag_id)
        tag.name = _name(name)
        await self._flush(tag.name)
        audit.record_for(self.db, caller, "knowledge_tag.renamed", workspace_id=workspace_id, target=tag.name)
        await self.db.commit()
        bases = await self.db.scalar(select(func.count()).where(KnowledgeBaseTag.tag_id == tag.id)) or 0
        return Tag(tag.id, tag.name, int(bases))

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, tag_id: uuid.UUID) -> None:
        """The tag and its bindings; the knowledge bases stay."""
        await access.workspace(self.db, caller, workspace_id, write=True, action="change knowledge tags")
        tag = await self._tag(workspace_id, tag_id)
        audit.record_for(self.db, caller, "knowledge_tag.deleted", workspace_id=workspace_id, target=tag.name)
        await self.db.delete(tag)
        await self.db.commit()

    async def bind(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
    ) -> None:
        """Bind tags to a knowledge base; a tag already bound stays bound (binding twice is harmless)."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        await self._tags(workspace_id, tag_ids)
        rows = [{"tag_id": t, "knowledge_base_id": kb.id, "created_at": utcnow()} for t in dict.fromkeys(tag_ids)]
        await self.db.execute(insert(KnowledgeBaseTag).values(rows).on_conflict_do_nothing())
        await self.db.commit()

    async def unbind(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
    ) -> None:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        await self._tags(workspace_id, tag_ids)
        await self.db.execute(
            delete(KnowledgeBaseTag).where(
                KnowledgeBaseTag.knowledge_base_id == kb.id, KnowledgeBaseTag.tag_id.in_(list(tag_ids))
            )
        )
        await self.db.commit()

    async def of_base(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> list[Tag]:
        await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        return (await tags_of(self.db, [kb_id]))[kb_id]

    async def _tag(self, workspace_id: uuid.UUID, tag_id: uuid.UUID) -> KnowledgeTag:
        tag = await self.db.scalar(
            select(KnowledgeTag).where(KnowledgeTag.id == tag_id, KnowledgeTag.workspace_id == workspace_id)
        )
        if tag is None:
            raise TagNotFound("No such tag in this workspace.")
        return tag

    async def _tags(self, workspace_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]) -> None:
        """Every one of the tags must be the workspace's: another workspace's tag is not found, as an unknown one."""
        if not tag_ids:
            raise InvalidInput("Name at least one tag.", code="invalid_param")
        found = set(
            (
                await self.db.scalars(
                    select(KnowledgeTag.id).where(
                        KnowledgeTag.workspace_id == workspace_id, KnowledgeTag.id.in_(list(tag_ids))
                    )
                )
            ).all()
        )
        if set(tag_ids) - found:
            raise TagNotFound("No such tag in this workspace.")

    async def _flush(self, name: str) -> None:
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise TagNameTaken(f"This workspace already has a tag named {name!r}.") from None


def _name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"A tag name is 1–{MAX_NAME} characters.", code="invalid_param")
    return name


async def tags_of(db: AsyncSession, kb_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Tag]]:
    """The tags bound to each knowledge base (no access check: for callers that already made one)."""
    out: dict[uuid.UUID, list[Tag]] = {kb: [] for kb in kb_ids}
    rows = await db.execute(
        select(KnowledgeBaseTag.knowledge_base_id, KnowledgeTag)
        .join(KnowledgeTag, KnowledgeTag.id == KnowledgeBaseTag.tag_id)
        .where(KnowledgeBaseTag.knowledge_base_id.in_(list(kb_ids)))
        .order_by(KnowledgeTag.created_at, KnowledgeTag.id)
    )
    for kb_id, tag in rows.all():
        out[kb_id].append(Tag(tag.id, tag.name, 0))
    return out


async def bases_tagged(db: AsyncSession, workspace_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Knowledge bases of the workspace bound to any of the tags."""
    rows = await db.scalars(
        select(KnowledgeBaseTag.knowledge_base_id)
        .join(KnowledgeBase, KnowledgeBase.id == KnowledgeBaseTag.knowledge_base_id)
        .where(KnowledgeBase.workspace_id == workspace_id, KnowledgeBaseTag.tag_id.in_(list(tag_ids)))
    )
    return set(rows.all())
