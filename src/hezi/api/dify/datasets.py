"""Dify's dataset use cases, each one call (or a few) into hezi's knowledge services, answered in Dify's shapes.

Nothing is stored here: access, validation and persistence stay with the services, so the console and this API
cannot drift apart. Where Dify sets something per document that hezi keeps per knowledge base (chunking rules,
retrieval defaults, the embedding model), see `_settle` for how the two meet.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated, Any

from fastapi import Depends

from hezi.api.deps import SessionDep
from hezi.api.dify import conditions, mapping
from hezi.api.dify import schemas as dify
from hezi.api.dify.auth import DatasetCaller
from hezi.api.knowledge_deps import BasesDep, ChunksDep, DocumentsDep, SearchDep
from hezi.db.base import utcnow
from hezi.errors import InvalidInput, NotFound
from hezi.knowledge import authorship, sizes
from hezi.knowledge.metadata_fields import built_in_on, fields_of
from hezi.knowledge.schemas import (
    ChunkCreate,
    ChunkUpdate,
    DocumentPublic,
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBaseUpdate,
    RetrievalSettings,
    RetrieveRequest,
)
from hezi.knowledge.sizes import TextSize
from hezi.knowledge.tags import bases_tagged, tags_of

MAX_PAGE = 100  # Dify caps `limit` at 100


def new_batch() -> str:
    """Dify's batch ids: the time to the second and six random digits (20 characters)."""
    return f"{utcnow():%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def _page(page: int, limit: int) -> tuple[int, int]:
    limit = min(max(limit, 1), MAX_PAGE)
    return (max(page, 1) - 1) * limit, limit


class DifyDatasets:
    def __init__(
        self, db: SessionDep, bases: BasesDep, docs: DocumentsDep, chunks: ChunksDep, search: SearchDep
    ) -> None:
        self.db = db
        self.bases = bases
        self.docs = docs
        self.chunks = chunks
        self.search = search

    # --- datasets -------------------------------------------------------------------------------------------------

    async def create_dataset(self, dc: DatasetCaller, body: dify.DatasetCreate) -> dify.Dataset:
        retrieval = self._retrieval(body.retrieval_model, body.indexing_technique)
        kb = await self.bases.create(
            dc.caller, dc.workspace_id,
            KnowledgeBaseCreate(name=body.name, description=body.description or "",
                                embedding_model=body.embedding_model, retrieval=retrieval),
        )  # fmt: skip
        return (await self._datasets([kb]))[0]

    async def list_datasets(
        self, dc: DatasetCaller, page: int, limit: int, keyword: str | None, tag_ids: list[str]
    ) -> dify.DatasetsPage:
        offset, limit = _page(page, limit)
        every = (await self.bases.list_bases(dc.caller, dc.workspace_id)).data
        if keyword:
            every = [kb for kb in every if keyword.lower() in kb.name.lower()]
        if tag_ids:  # those bound to any of the tags, as Dify does; an id that is no tag matches nothing
            tagged = await bases_tagged(self.db, dc.workspace_id, [t for t in map(_uuid, tag_ids) if t])
            every = [kb for kb in every if kb.id in tagged]
        shown = every[offset : offset + limit]
        return dify.DatasetsPage(
            data=await self._datasets(shown),
            has_more=offset + limit < len(every), limit=limit, total=len(every), page=max(page, 1),
        )  # fmt: skip

    async def get_dataset(self, dc: DatasetCaller, ds: str) -> dify.Dataset:
        return (await self._datasets([await self._kb(dc, ds)]))[0]

    async def update_dataset(self, dc: DatasetCaller, ds: str, body: dify.DatasetUpdate) -> dify.Dataset:
        """Name, description, embedding model and retrieval settings; what is not sent stays as it is."""
        kb = await self._kb(dc, ds)
        change: dict[str, Any] = {}
        for name in ("name", "description", "embedding_model"):
            if getattr(body, name) is not None:
                change[name] = getattr(body, name)
        if body.retrieval_model is not None or body.indexing_technique is not None:
            asked = mapping.retrieval_settings(body.retrieval_model or dify.RetrievalModel(),
                                               economy=body.indexing_technique == "economy")  # fmt: skip
            if body.indexing_technique == "high_quality" and "mode" not in asked and kb.retrieval.mode == "full_text":
                asked["mode"] = "hybrid"  # leaving economy: hezi's default search again
            change["retrieval"] = RetrievalSettings.model_validate({**kb.retrieval.model_dump(), **asked})
        if change:
            kb = await self.bases.update(dc.caller, dc.workspace_id, kb.id, KnowledgeBaseUpdate(**change))
        return (await self._datasets([kb]))[0]

    async def _datasets(self, kbs: list[KnowledgeBasePublic]) -> list[dify.Dataset]:
        """Datasets as Dify shows them: sizes, who made and changed them, tags and metadata fields, in a few queries."""
        ids = [kb.id for kb in kbs]
        size = await sizes.by_knowledge_base(self.db, ids)
        authors = await authorship.of_bases(self.db, ids)
        tags, fields, built_in = (
            await tags_of(self.db, ids),
            await fields_of(self.db, ids),
            await built_in_on(self.db, ids),
        )
        return [mapping.dataset(kb, size[kb.id], authors.get(kb.id), tags[kb.id], fields[kb.id], kb.id in built_in)
                for kb in kbs]  # fmt: skip

    async def delete_dataset(self, dc: DatasetCaller, ds: str) -> None:
        await self.bases.delete(dc.caller, dc.workspace_id, mapping.parse_id(ds, "Dataset"))

    # --- documents ------------------------------------------------------------------------------------------------

    async def add_text(self, dc: DatasetCaller, ds: str, body: dify.DifyTextDocument) -> dify.DocumentCreated:
        mapping.check_doc_form(body.doc_form, None)
        return await self._add(dc, ds, mapping.text_document_name(body.name), body.text.encode(), "text", body)

    async def add_file(
        self, dc: DatasetCaller, ds: str, filename: str, data: bytes, options: dify.DocumentOptions
    ) -> dify.DocumentCreated:
        source = mapping.check_doc_form(options.doc_form, filename)
        return await self._add(dc, ds, filename, data, source, options)

    async def _add(
        self, dc: DatasetCaller, ds: str, name: str, data: bytes, source: str, options: dify.DocumentOptions
    ) -> dify.DocumentCreated:
        if options.original_document_id:
            raise InvalidInput("Updating a document in place is not supported: delete it and add it again.",
                               code="invalid_param")  # fmt: skip
        kb = await self._settle(dc, await self._kb(dc, ds), options)
        batch = new_batch()
        doc = await self.docs.add(dc.caller, dc.workspace_id, kb.id, name, data, source, batch=batch)
        document = mapping.document(doc, kb.documents + 1, TextSize(), dc.caller.principal.user_id,
                                    await self._metadata(kb.id, doc))  # fmt: skip
        return dify.DocumentCreated(document=document, batch=batch)

    async def _settle(
        self, dc: DatasetCaller, kb: KnowledgeBasePublic, options: dify.DocumentOptions
    ) -> KnowledgeBasePublic:
        """Dify's per-document settings, on hezi's knowledge base.

        A custom or hierarchical process_rule becomes the knowledge base's chunking (hezi chunks per knowledge base;
        documents ingested from then on follow it); "automatic" leaves it as it is. As in Dify, the retrieval model,
        indexing technique and embedding model sent with a dataset's first document become the dataset's.
        """
        change: dict[str, Any] = {}
        rules = mapping.chunking(options.process_rule)
        if rules is not None and rules != kb.chunking:
            change["chunking"] = rules
        if kb.documents == 0:
            retrieval = self._retrieval(options.retrieval_model, options.indexing_technique)
            if retrieval is not None:
                change["retrieval"] = retrieval
            if options.embedding_model and options.embedding_model != kb.embedding_model:
                change["embedding_model"] = options.embedding_model
        if not change:
            return kb
        return await self.bases.update(dc.caller, dc.workspace_id, kb.id, KnowledgeBaseUpdate(**change))

    async def list_documents(
        self, dc: DatasetCaller, ds: str, page: int, limit: int, keyword: str | None
    ) -> dify.DocumentsPage:
        offset, limit = _page(page, limit)
        listed = await self.docs.list(
            dc.caller, dc.workspace_id, mapping.parse_id(ds, "Dataset"), offset=offset, limit=limit, keyword=keyword
        )
        ids = [d.id for d in listed.data]
        size, made_by = await sizes.by_document(self.db, ids), await authorship.of_documents(self.db, ids)
        kb_id = _kb_id(ds)
        fields, built_in = (await fields_of(self.db, [kb_id]))[kb_id], bool(await built_in_on(self.db, [kb_id]))
        return dify.DocumentsPage(
            data=[mapping.document(d, offset + i + 1, size[d.id], made_by.get(d.id),
                                   mapping.document_metadata(d, fields, built_in))
                  for i, d in enumerate(listed.data)],
            has_more=offset + limit < listed.count, limit=limit, total=listed.count, page=max(page, 1),
        )  # fmt: skip

    async def get_document(self, dc: DatasetCaller, ds: str, doc: str) -> dify.Document:
        d = await self._document(dc, ds, doc)
        size = (await sizes.by_document(self.db, [d.id]))[d.id]
        made_by = (await authorship.of_documents(self.db, [d.id])).get(d.id)
        position = await authorship.position(self.db, _kb_id(ds), d.id)
        return mapping.document(d, position, size, made_by, await self._metadata(_kb_id(ds), d))

    async def _metadata(self, kb_id: uuid.UUID, d: DocumentPublic) -> list[dify.DocumentMetadataValue]:
        fields, built_in = (await fields_of(self.db, [kb_id]))[kb_id], bool(await built_in_on(self.db, [kb_id]))
        return mapping.document_metadata(d, fields, built_in)

    async def indexing_status(self, dc: DatasetCaller, ds: str, batch: str) -> dify.IndexingStatuses:
        listed = await self.docs.list(dc.caller, dc.workspace_id, mapping.parse_id(ds, "Dataset"), batch=batch)
        if not listed.data:
            raise NotFound("Documents not found.")
        return dify.IndexingStatuses(data=[mapping.indexing_status(d) for d in listed.data])

    async def delete_document(self, dc: DatasetCaller, ds: str, doc: str) -> None:
        kb_id, doc_id = mapping.parse_id(ds, "Dataset"), mapping.parse_id(doc, "Document")
        await self.docs.remove(dc.caller, dc.workspace_id, kb_id, doc_id)

    # --- segments -------------------------------------------------------------------------------------------------

    async def list_segments(
        self, dc: DatasetCaller, ds: str, doc: str, page: int, limit: int, keyword: str | None
    ) -> dify.SegmentsPage:
        d = await self._document(dc, ds, doc)
        offset, limit = _page(page, limit)
        listed = await self.chunks.list(
            dc.caller, dc.workspace_id, _kb_id(ds), d.id, offset=offset, limit=limit, keyword=keyword
        )
        made_by = await self._made_by(d)
        return dify.SegmentsPage(
            data=[mapping.segment(c, d, made_by) for c in listed.data], doc_form=_doc_form(d),
            has_more=offset + limit < listed.count, limit=limit, total=listed.count, page=max(page, 1),
        )  # fmt: skip

    async def add_segments(
        self, dc: DatasetCaller, ds: str, doc: str, body: dify.SegmentsCreate
    ) -> dify.SegmentsCreated:
        d = await self._document(dc, ds, doc)
        if d.status != "ready":
            # As in Dify; also keeps hand-made chunks from taking ordinals that ingestion is about to write.
            raise NotFound("Document is not completed.")
        added = [
            await self.chunks.add(
                dc.caller, dc.workspace_id, _kb_id(ds), d.id, ChunkCreate(text=s.content, answer=s.answer)
            )
            for s in body.segments
        ]
        made_by = await self._made_by(d)
        return dify.SegmentsCreated(data=[mapping.segment(c, d, made_by) for c in added], doc_form=_doc_form(d))

    async def get_segment(self, dc: DatasetCaller, ds: str, doc: str, segment: str) -> dify.SegmentDetail:
        d = await self._document(dc, ds, doc)
        c = await self.chunks.get(dc.caller, dc.workspace_id, _kb_id(ds), d.id, _chunk_id(segment))
        return dify.SegmentDetail(data=mapping.segment(c, d, await self._made_by(d)), doc_form=_doc_form(d))

    async def update_segment(
        self, dc: DatasetCaller, ds: str, doc: str, segment: str, body: dify.SegmentUpdate
    ) -> dify.SegmentUpdated:
        d = await self._document(dc, ds, doc)
        s = body.segment
        changed = await self.chunks.update(
            dc.caller, dc.workspace_id, _kb_id(ds), d.id, _chunk_id(segment),
            ChunkUpdate(text=s.content, answer=s.answer, enabled=s.enabled),
        )  # fmt: skip
        return dify.SegmentUpdated(data=mapping.segment(changed, d, await self._made_by(d)), doc_form=_doc_form(d))

    async def delete_segment(self, dc: DatasetCaller, ds: str, doc: str, segment: str) -> None:
        d = await self._document(dc, ds, doc)
        await self.chunks.remove(dc.caller, dc.workspace_id, _kb_id(ds), d.id, _chunk_id(segment))

    # --- retrieval ------------------------------------------------------------------------------------------------

    async def retrieve(self, dc: DatasetCaller, ds: str, body: dify.RetrieveBody) -> dify.RetrieveResult:
        model = body.retrieval_model
        asked: dict[str, Any] = mapping.retrieval_settings(model) if model else {}
        if model is not None and model.metadata_filtering_conditions is not None:
            kb_id = _kb_id(ds)
            wanted, match = conditions.filters(
                model.metadata_filtering_conditions, (await fields_of(self.db, [kb_id]))[kb_id]
            )
            asked |= {"filters": wanted, "filters_match": match}
        found = await self.search.retrieve(
            dc.caller, dc.workspace_id, mapping.parse_id(ds, "Dataset"), RetrieveRequest(query=body.query, **asked)
        )
        created = {}
        for hit in found.data:  # the few documents behind the hits, for their segments' timestamps
            if hit.document_id not in created:
                created[hit.document_id] = (await self._document(dc, ds, str(hit.document_id))).created_at
        made_by = await authorship.of_documents(self.db, list(created))
        return dify.RetrieveResult(
            query=dify.Query(content=body.query),
            records=[mapping.record(hit, created[hit.document_id], made_by.get(hit.document_id)) for hit in found.data],
        )

    # --- helpers --------------------------------------------------------------------------------------------------

    async def _kb(self, dc: DatasetCaller, ds: str) -> KnowledgeBasePublic:
        return await self.bases.get(dc.caller, dc.workspace_id, mapping.parse_id(ds, "Dataset"))

    async def _document(self, dc: DatasetCaller, ds: str, doc: str) -> DocumentPublic:
        return await self.docs.get(dc.caller, dc.workspace_id, _kb_id(ds), mapping.parse_id(doc, "Document"))

    async def _made_by(self, d: DocumentPublic) -> uuid.UUID | None:
        return (await authorship.of_documents(self.db, [d.id])).get(d.id)

    @staticmethod
    def _retrieval(model: dify.RetrievalModel | None, technique: str | None) -> RetrievalSettings | None:
        economy = technique == "economy"
        if model is None and not economy:
            return None
        return RetrievalSettings.model_validate(mapping.retrieval_settings(model or dify.RetrievalModel(),
                                                                           economy=economy))  # fmt: skip


def _kb_id(ds: str) -> uuid.UUID:
    return mapping.parse_id(ds, "Dataset")


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _chunk_id(segment: str) -> int:
    if not segment.isdigit() or len(segment) > 18:  # hezi's chunk ids are integers (BIGINT)
        raise NotFound("Segment not found.")
    return int(segment)


def _doc_form(d: DocumentPublic) -> str:
    return "qa_model" if d.source == "qa" else "text_model"


DifyDep = Annotated[DifyDatasets, Depends(DifyDatasets)]
