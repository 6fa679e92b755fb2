"""Document ingestion as a durable job. It runs only in `hezi serve`'s worker (queue "models"), which holds the
model gateway the embeddings come from; retried with backoff when a model worker is restarting."""

from __future__ import annotations

import contextlib
import uuid

import procrastinate

from hezi.jobs.context import services_of
from hezi.knowledge.ingest import ingest
from hezi.knowledge.parsing import ParseLimits

INGEST_TASK = "knowledge.ingest"
MODELS_QUEUE = "models"


def register(app: procrastinate.App) -> None:
    @app.task(
        name=INGEST_TASK,
        pass_context=True,
        queue=MODELS_QUEUE,
        retry=procrastinate.RetryStrategy(max_attempts=6, exponential_wait=2),
    )
    async def ingest_document(context: procrastinate.JobContext, document_id: str) -> str:
        services = services_of(context)
        if not services.serves_models:
            raise RuntimeError("knowledge ingestion needs the model workers: run it in `hezi serve`")
        settings = services.settings
        limits = ParseLimits(ocr=settings.knowledge_ocr, max_ocr_pages=settings.knowledge_ocr_max_pages)
        return await ingest(services.sessionmaker, uuid.UUID(document_id), services.embed, limits)


async def defer_ingest(app: procrastinate.App, document_id: uuid.UUID) -> None:
    """Queue a document's ingestion once: a second request while one is queued is a no-op."""
    with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
        await app.configure_task(INGEST_TASK, queueing_lock=str(document_id)).defer_async(document_id=str(document_id))
