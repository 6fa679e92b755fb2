"""Dify's knowledge tags, metadata fields and embedding-model list on hezi's services, answered in Dify's shapes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from hezi.api.deps import ServicesDep, SessionDep
from hezi.api.dify import label_schemas as wire
from hezi.api.dify.auth import DatasetCaller
from hezi.api.dify.mapping import EMBEDDING_PROVIDER, parse_id
from hezi.api.dify.schemas import MetadataFieldOut
from hezi.errors import NotFound
from hezi.knowledge import access
from hezi.knowledge.metadata_fields import BUILT_IN, DocumentValues, Field, MetadataFieldService
from hezi.knowledge.tags import Tag, TagService


def _tag_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("Tag not found.") from None


def _tag(t: Tag) -> wire.KnowledgeTag:
    return wire.KnowledgeTag(id=str(t.id), name=t.name, binding_count=str(t.bases))


def _field(f: Field) -> MetadataFieldOut:
    return MetadataFieldOut(id=str(f.id), name=f.name, type=f.type)


class DifyLabels:
    def __init__(self, db: SessionDep, services: ServicesDep) -> None:
        self.db = db
        self.services = services
        self.tags = TagService(db)
        self.fields = MetadataFieldService(db)

    # --- tags -----------------------------------------------------------------------------------------------------

    async def list_tags(self, dc: DatasetCaller) -> list[wire.KnowledgeTag]:
        return [_tag(t) for t in await self.tags.list_tags(dc.caller, dc.workspace_id)]

    async def create_tag(self, dc: DatasetCaller, body: wire.TagCreate) -> wire.KnowledgeTag:
        return _tag(await self.tags.create(dc.caller, dc.workspace_id, body.name))

    async def rename_tag(self, dc: DatasetCaller, body: wire.TagRename) -> wire.KnowledgeTag:
        return _tag(await self.tags.rename(dc.caller, dc.workspace_id, _tag_id(body.tag_id), body.name))

    async def delete_tag(self, dc: DatasetCaller, body: wire.TagDelete) -> None:
        await self.tags.delete(dc.caller, dc.workspace_id, _tag_id(body.tag_id))

    async def bind(self, dc: DatasetCaller, body: wire.TagBinding) -> None:
        kb = parse_id(body.target_id, "Dataset")
        await self.tags.bind(dc.caller, dc.workspace_id, kb, [_tag_id(t) for t in body.tag_ids])

    async def unbind(self, dc: DatasetCaller, body: wire.TagUnbinding) -> None:
        kb = parse_id(body.target_id, "Dataset")
        await self.tags.unbind(dc.caller, dc.workspace_id, kb, [_tag_id(t) for t in body.tag_ids])

    async def tags_of(self, dc: DatasetCaller, ds: str) -> wire.DatasetTags:
        tags = await self.tags.of_base(dc.caller, dc.workspace_id, parse_id(ds, "Dataset"))
        return wire.DatasetTags(data=[wire.BoundTag(id=str(t.id), name=t.name) for t in tags], total=len(tags))

    # --- metadata -------------------------------------------------------------------------------------------------

    async def list_fields(self, dc: DatasetCaller, ds: str) -> wire.MetadataList:
        listed = await self.fields.list_fields(dc.caller, dc.workspace_id, parse_id(ds, "Dataset"))
        return wire.MetadataList(
            doc_metadata=[wire.MetadataListItem(id=str(f.id), name=f.name, type=f.type, count=f.documents)
                          for f in listed.fields],
            built_in_field_enabled=listed.built_in_enabled,
        )  # fmt: skip

    async def create_field(self, dc: DatasetCaller, ds: str, body: wire.MetadataCreate) -> MetadataFieldOut:
        made = await self.fields.create(dc.caller, dc.workspace_id, parse_id(ds, "Dataset"), body.name, body.type)
        return _field(made)

    async def rename_field(self, dc: DatasetCaller, ds: str, field: str, body: wire.MetadataRename) -> MetadataFieldOut:
        kb = parse_id(ds, "Dataset")
        return _field(await self.fields.rename(dc.caller, dc.workspace_id, kb, parse_id(field, "Metadata"), body.name))

    async def delete_field(self, dc: DatasetCaller, ds: str, field: str) -> None:
        await self.fields.delete(dc.caller, dc.workspace_id, parse_id(ds, "Dataset"), parse_id(field, "Metadata"))

    async def built_in_fields(self, dc: DatasetCaller, ds: str) -> wire.BuiltInFields:
        await access.knowledge_base(self.db, dc.caller, dc.workspace_id, parse_id(ds, "Dataset"), write=False)
        return wire.BuiltInFields(fields=[wire.BuiltInField(name=n, type=t) for n, t in BUILT_IN.items()])

    async def switch_built_in(self, dc: DatasetCaller, ds: str, action: str) -> wire.ActionResult:
        if action not in ("enable", "disable"):
            raise NotFound(f"Unknown action {action!r}: enable or disable.")
        await self.fields.set_built_in(dc.caller, dc.workspace_id, parse_id(ds, "Dataset"), action == "enable")
        return wire.ActionResult()

    async def set_document_values(self, dc: DatasetCaller, ds: str, body: wire.MetadataOperations) -> wire.ActionResult:
        changes = [
            DocumentValues(
                parse_id(op.document_id, "Document"),
                # built-in values are hezi's to write: those a client sends back are skipped, as Dify does
                {parse_id(v.id, "Metadata"): v.value for v in op.metadata_list if v.id != "built-in"},
                op.partial_update,
            )
            for op in body.operation_data
        ]
        await self.fields.set_values(dc.caller, dc.workspace_id, parse_id(ds, "Dataset"), changes)
        return wire.ActionResult()

    # --- models ---------------------------------------------------------------------------------------------------

    async def embedding_models(self, dc: DatasetCaller) -> wire.ModelsOfType:
        """hezi's deployed embedding models, as one provider ("hezi"): what `embedding_model` may name."""
        models = [m for m in await self.services.models.models(dc.workspace_id) if m.kind == "embedding"]
        label = wire.I18n(en_US="hezi", zh_Hans="hezi")
        listed = [wire.ProviderModel(model=m.name, label=wire.I18n(en_US=m.name, zh_Hans=m.name)) for m in models]
        provider = wire.ProviderModels(tenant_id=str(dc.workspace_id), provider=EMBEDDING_PROVIDER, label=label,
                                       models=listed)  # fmt: skip
        return wire.ModelsOfType(data=[provider] if listed else [])


DifyLabelsDep = Annotated[DifyLabels, Depends(DifyLabels)]
