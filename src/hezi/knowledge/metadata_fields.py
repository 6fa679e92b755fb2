"""Metadata fields declared on a knowledge base (Dify's document metadata): a name and a type — string, number or
time (unix seconds) — per field, the values typed by it and kept in `documents.metadata` under the field's name,
where retrieval filters already read them. Keys no field declares (set in the console) are left as they are.

Built-in fields (Dify's document_name, uploader, upload_date, last_update_date, source) are written into every
document's metadata when switched on, and into documents added or given values while on; switched off, they go."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hezi.accounts import audit
from hezi.accounts.principal import Caller
from hezi.db.base import utcnow
from hezi.db.tables import Document, KnowledgeBase, MetadataField, User
from hezi.errors import InvalidInput, NotFound
from hezi.knowledge import access
from hezi.knowledge.document_metadata import MAX_KEY_CHARS, validate_metadata

FieldType = Literal["string", "number", "time"]
BUILT_IN: dict[str, FieldType] = {
    "document_name": "string", "uploader": "string", "upload_date": "time", "last_update_date": "time",
    "source": "string",
}  # fmt: skip


class MetadataFieldNotFound(NotFound):
    code = "metadata_field_not_found"


@dataclass(frozen=True)
class Field:
    id: uuid.UUID
    name: str
    type: FieldType
    documents: int = 0  # documents that have a value for it


@dataclass(frozen=True)
class Fields:
    fields: list[Field]
    built_in_enabled: bool


@dataclass(frozen=True)
class DocumentValues:
    """Values for one document's fields, by field id; None clears one. Not `partial`: the fields left out clear."""

    document_id: uuid.UUID
    values: dict[uuid.UUID, Any] = field(default_factory=dict)
    partial: bool = False


class MetadataFieldService:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def list_fields(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID) -> Fields:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=False)
        declared = (await fields_of(self.db, [kb.id]))[kb.id]
        counts = dict(
            (
                await self.db.execute(
                    select(MetadataField.id, func.count(Document.id))
                    .join(Document, Document.knowledge_base_id == MetadataField.knowledge_base_id)
                    .where(MetadataField.knowledge_base_id == kb.id, Document.metadata_.has_key(MetadataField.name))
                    .group_by(MetadataField.id)
                )
            ).all()
        )
        return Fields([Field(f.id, f.name, f.type, int(counts.get(f.id, 0))) for f in declared], kb.built_in_metadata)

    async def create(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, name: str, type_: FieldType
    ) -> Field:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        row = MetadataField(knowledge_base_id=kb.id, name=_name(name), type=type_, created_at=utcnow())
        self.db.add(row)
        await self._flush(row.name)
        audit.record_for(self.db, caller, "metadata_field.created", workspace_id=workspace_id,
                         target=f"{kb.name}/{row.name}")  # fmt: skip
        await self.db.commit()
        return Field(row.id, row.name, type_)

    async def rename(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, field_id: uuid.UUID, name: str
    ) -> Field:
        """The field and its values in every document of the knowledge base, in one transaction."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        row = await self._field(kb.id, field_id)
        old, new = row.name, _name(name)
        if new == old:
            return Field(row.id, row.name, _type(row.type))
        row.name = new
        await self._flush(new)
        await self.db.execute(
            text(
                "UPDATE documents SET metadata = (metadata - CAST(:old AS text)) "
                "|| jsonb_build_object(CAST(:new AS text), metadata -> CAST(:old AS text)) "
                "WHERE knowledge_base_id = :kb AND metadata ? CAST(:old AS text)"
            ),
            {"old": old, "new": new, "kb": kb.id},
        )
        audit.record_for(self.db, caller, "metadata_field.renamed", workspace_id=workspace_id,
                         target=f"{kb.name}/{new}", details={"from": old})  # fmt: skip
        await self.db.commit()
        return Field(row.id, row.name, _type(row.type))

    async def delete(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, field_id: uuid.UUID) -> None:
        """The field and its values in every document (filters on it then match nothing)."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        row = await self._field(kb.id, field_id)
        await self.db.execute(
            text("UPDATE documents SET metadata = metadata - CAST(:name AS text) "
                 "WHERE knowledge_base_id = :kb AND metadata ? CAST(:name AS text)"),
            {"name": row.name, "kb": kb.id},
        )  # fmt: skip
        audit.record_for(self.db, caller, "metadata_field.deleted", workspace_id=workspace_id,
                         target=f"{kb.name}/{row.name}")  # fmt: skip
        await self.db.delete(row)
        await self.db.commit()

    async def set_built_in(self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, on: bool) -> None:
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        kb.built_in_metadata = on
        docs = (await self.db.scalars(select(Document).where(Document.knowledge_base_id == kb.id))).all()
        if on:
            await write_built_in(self.db, docs)
        else:
            for d in docs:
                d.metadata_ = {k: v for k, v in (d.metadata_ or {}).items() if k not in BUILT_IN}
        audit.record_for(self.db, caller, "metadata_field.built_in_" + ("enabled" if on else "disabled"),
                         workspace_id=workspace_id, target=kb.name)  # fmt: skip
        await self.db.commit()

    async def set_values(
        self, caller: Caller, workspace_id: uuid.UUID, kb_id: uuid.UUID, changes: Sequence[DocumentValues]
    ) -> None:
        """Typed values for documents' fields, all documents or none (a bad value refuses the whole request)."""
        kb = await access.knowledge_base(self.db, caller, workspace_id, kb_id, write=True)
        declared = {f.id: f for f in (await fields_of(self.db, [kb.id]))[kb.id]}
        names = {f.name for f in declared.values()}
        touched: list[Document] = []
        for change in changes:
            doc = await access.document(self.db, kb.id, change.document_id)
            meta = dict(doc.metadata_ or {})
            if not change.partial:
                meta = {k: v for k, v in meta.items() if k not in names}
            for field_id, value in change.values.items():
                f = declared.get(field_id)
                if f is None:
                    raise MetadataFieldNotFound("No such metadata field in this knowledge base.")
                if value is None:
                    meta.pop(f.name, None)
                else:
                    meta[f.name] = typed(f.type, value, f.name)
            doc.metadata_ = validate_metadata(meta)
            doc.updated_at = utcnow()
            touched.append(doc)
        if kb.built_in_metadata:
            await write_built_in(self.db, touched)
        audit.record_for(self.db, caller, "document.metadata_set", workspace_id=workspace_id, target=kb.name,
                         details={"documents": len(touched)})  # fmt: skip
        await self.db.commit()

    async def _field(self, kb_id: uuid.UUID, field_id: uuid.UUID) -> MetadataField:
        row = await self.db.scalar(
            select(MetadataField).where(MetadataField.id == field_id, MetadataField.knowledge_base_id == kb_id)
        )
        if row is None:
            raise MetadataFieldNotFound("No such metadata field in this knowledge base.")
        return row

    async def _flush(self, name: str) -> None:
        try:
            await self.db.flush()
        except IntegrityError:
            await self.db.rollback()
            raise InvalidInput(f"This knowledge base already has a metadata field named {name!r}.",
                               code="metadata_name_taken") from None  # fmt: skip


def _name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > MAX_KEY_CHARS or not name.isprintable():
        raise InvalidInput(f"A metadata field name is 1–{MAX_KEY_CHARS} printable characters.", code="invalid_param")
    if name in BUILT_IN:
        raise InvalidInput(f"{name!r} is a built-in metadata field.", code="invalid_param")
    return name


def _type(raw: str) -> FieldType:
    return "number" if raw == "number" else "time" if raw == "time" else "string"


def typed(type_: FieldType, value: Any, name: str) -> str | int | float:
    """A value as its field's type stores it: text; a number; a time as unix seconds (a number, an ISO 8601 text)."""
    if type_ == "string":
        return value if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        raise InvalidInput(f"{name!r} takes a {type_}, not {value!r}.", code="invalid_param")
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value))
        except ValueError:
            if type_ != "time":
                raise InvalidInput(f"{name!r} takes a number, not {value!r}.", code="invalid_param") from None
            try:
                number = datetime.fromisoformat(str(value)).timestamp()
            except ValueError:
                raise InvalidInput(f"{name!r} takes a time: unix seconds or ISO 8601, not {value!r}.",
                                   code="invalid_param") from None  # fmt: skip
    if type_ == "time" or number.is_integer():
        return int(number)
    return number


async def fields_of(db: AsyncSession, kb_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Field]]:
    """The fields declared on each knowledge base, oldest first (no access check: for callers that made one)."""
    out: dict[uuid.UUID, list[Field]] = {kb: [] for kb in kb_ids}
    rows = await db.scalars(
        select(MetadataField)
        .where(MetadataField.knowledge_base_id.in_(list(kb_ids)))
        .order_by(MetadataField.created_at, MetadataField.id)
    )
    for f in rows.all():
        out[f.knowledge_base_id].append(Field(f.id, f.name, _type(f.type)))
    return out


async def write_built_in(db: AsyncSession, docs: Sequence[Document]) -> None:
    """Dify's built-in fields into the documents' metadata, as they are now."""
    creators = {d.created_by for d in docs if d.created_by is not None}
    rows = await db.execute(select(User.id, User.display_name, User.username).where(User.id.in_(creators)))
    names = {uid: shown or username for uid, shown, username in rows.all()} if creators else {}
    for d in docs:
        d.metadata_ = {
            **(d.metadata_ or {}),
            "document_name": d.name,
            "uploader": names.get(d.created_by, "") if d.created_by is not None else "",
            "upload_date": int(d.created_at.timestamp()),
            "last_update_date": int(d.updated_at.timestamp()),
            "source": "website" if d.source == "url" else "file_upload",
        }


async def built_in_on(db: AsyncSession, kb_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the knowledge bases have the built-in fields switched on."""
    rows = await db.scalars(
        select(KnowledgeBase.id).where(KnowledgeBase.id.in_(list(kb_ids)), KnowledgeBase.built_in_metadata)
    )
    return set(rows.all())
