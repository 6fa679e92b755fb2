"""Dify's wire format for knowledge tags, metadata fields and the embedding-model list (requests and answers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from hezi.api.dify.schemas import DifyRequest, MetadataFieldOut

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]

# --- tags -----------------------------------------------------------------------------------------------------------


class TagCreate(DifyRequest):
    name: TagName


class TagRename(DifyRequest):
    name: TagName
    tag_id: Id


class TagDelete(DifyRequest):
    tag_id: Id


class TagBinding(DifyRequest):
    tag_ids: Annotated[list[Id], Field(min_length=1, max_length=100)]
    target_id: Id


class TagUnbinding(DifyRequest):
    """Dify takes `tag_ids`, or the older single `tag_id`."""

    tag_ids: Annotated[list[Id], Field(max_length=100)] = Field(default_factory=list)
    tag_id: Id | None = None
    target_id: Id

    @model_validator(mode="after")
    def _one_at_least(self) -> TagUnbinding:
        if not self.tag_ids and self.tag_id:
            self.tag_ids = [self.tag_id]
        if not self.tag_ids:
            raise ValueError("tag_ids is required")
        return self


class KnowledgeTag(BaseModel):
    id: str
    name: str
    type: str = "knowledge"
    binding_count: str | None = None  # a string in Dify's answers: the number of datasets bound to it


class BoundTag(BaseModel):
    id: str
    name: str


class DatasetTags(BaseModel):
    data: list[BoundTag]
    total: int


# --- metadata -------------------------------------------------------------------------------------------------------


class MetadataCreate(DifyRequest):
    type: Literal["string", "number", "time"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class MetadataRename(DifyRequest):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class MetadataValueIn(DifyRequest):
    id: Id
    name: str | None = None
    value: str | int | float | None = None


class DocumentMetadataOperation(DifyRequest):
    document_id: Id
    metadata_list: Annotated[list[MetadataValueIn], Field(max_length=64)]
    partial_update: bool = False


class MetadataOperations(DifyRequest):
    operation_data: Annotated[list[DocumentMetadataOperation], Field(min_length=1, max_length=1000)]


class MetadataListItem(MetadataFieldOut):
    count: int


class MetadataList(BaseModel):
    doc_metadata: list[MetadataListItem]
    built_in_field_enabled: bool


class BuiltInField(BaseModel):
    name: str
    type: str


class BuiltInFields(BaseModel):
    fields: list[BuiltInField]


class ActionResult(BaseModel):
    result: str = "success"


# --- models ---------------------------------------------------------------------------------------------------------


class I18n(BaseModel):
    en_US: str  # Dify's field names
    zh_Hans: str


class ProviderModel(BaseModel):
    model: str
    label: I18n
    model_type: str = "text-embedding"
    features: list[str] | None = None
    fetch_from: str = "predefined-model"
    model_properties: dict[str, Any] = Field(default_factory=dict)
    deprecated: bool = False
    status: str = "active"
    load_balancing_enabled: bool = False


class ProviderModels(BaseModel):
    tenant_id: str
    provider: str
    label: I18n
    icon_small: I18n | None = None
    icon_large: I18n | None = None
    status: str = "active"
    models: list[ProviderModel]


class ModelsOfType(BaseModel):
    data: list[ProviderModels]
