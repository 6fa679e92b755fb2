"""The composition root: every long-lived part of hezi, built once at start and shared by requests and jobs.

`open_services` builds them in one place (the supervisor and its gateway, the metered model client, the provider
directory, the egress policy, the hardware sampler…) and closes them in reverse order. HTTP dependencies read
`Services` from the app; job tasks get it through the worker's context. Nothing here is a module-level global:
each test builds its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import procrastinate
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hezi.accounts.key_cache import KeyCache, KeyCacheCollector
from hezi.accounts.rate_limit import RateLimiter
from hezi.accounts.visitors import VisitorTokens
from hezi.apps.annotations import AnnotationReplies
from hezi.conversations.chat import ChatService
from hezi.conversations.warming import PrefixWarming
from hezi.egress import EgressPolicy
from hezi.hardware.inventory import Prober
from hezi.hardware.metrics import HardwareCollector
from hezi.hardware.sampler import HardwareSampler
from hezi.knowledge.retriever import Retriever
from hezi.secrets import SecretBox
from hezi.serving.client import ModelClient
from hezi.serving.gateway import Gateway
from hezi.serving.metered import MeteredEmbedder
from hezi.serving.metrics import ServingMetrics
from hezi.serving.prefixes import PrefixWarmer
from hezi.serving.providers import ProviderDirectory
from hezi.serving.rerank import Reranker
from hezi.serving.supervisor import Supervisor
from hezi.serving.usage import UsageMeter
from hezi.settings import Settings


@dataclass
class Services:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    jobs: procrastinate.App
    secrets: SecretBox
    visitors: VisitorTokens  # signs and checks the anonymous visitors of published web apps
    keys: KeyCache  # API keys → principals, from memory while its LISTEN connection is up; revoked at once
    limiter: RateLimiter  # requests per minute and tokens per day, per key or app, held in PostgreSQL
    egress: EgressPolicy
    supervisor: Supervisor
    gateway: Gateway
    meter: UsageMeter
    providers: ProviderDirectory
    models: ModelClient  # the one way to ask a model for tokens or vectors
    embed: MeteredEmbedder  # knowledge's embedding port, over `models`
    reranker: Reranker  # knowledge's rerank port, over the workspaces' providers
    retriever: Retriever  # searches several knowledge bases at once, for agents and apps
    chat: ChatService  # runs agents' answers in conversations; holds the answers being generated, to stop them
    warming: PrefixWarming  # published agents' opening prompts, kept computed in their model's workers
    metrics_registry: CollectorRegistry
    prober: Prober
    sampler: HardwareSampler
    loop: asyncio.AbstractEventLoop  # the loop these services' clients belong to
    # True in `hezi serve`, which runs the model workers; a standalone `hezi worker` only runs jobs that need none.
    serves_models: bool = True


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    jobs: procrastinate.App,
    *,
    serves_models: bool = True,
) -> AsyncIterator[Services]:
    """Build every service; on exit stop the key cache's listener, the sampler and the model workers, and write the
    last usage rows."""
    data_dir = settings.resolved_data_dir
    supervisor = Supervisor(settings.run_dir, data_dir / "logs")
    gateway = Gateway(
        supervisor,
        queue_per_model=settings.gateway_queue_per_model,
        wait_for_replica=settings.gateway_wait_for_replica_seconds,
    )
    registry = CollectorRegistry()
    metrics = ServingMetrics(registry, supervisor)
    meter = UsageMeter(sessionmaker, observe=metrics.observe)
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    secrets = SecretBox.from_settings(secret, data_dir)
    egress = EgressPolicy.from_setting(settings.egress_allow_cidrs)
    providers = ProviderDirectory(sessionmaker, secrets, egress)
    models = ModelClient(gateway, meter, providers.resolve, providers.exposed, PrefixWarmer(supervisor))
    embed = MeteredEmbedder(models)
    reranker = Reranker(providers)
    retriever = Retriever(sessionmaker, embed, reranker)
    prober = await asyncio.to_thread(Prober, data_dir)
    sampler = HardwareSampler(prober, sessionmaker, supervisor.instances, interval=settings.hardware_sample_seconds)
    registry.register(HardwareCollector(sampler))
    keys = KeyCache(sessionmaker, _database_url(sessionmaker))
    registry.register(KeyCacheCollector(keys))
    services = Services(
        settings=settings, sessionmaker=sessionmaker, jobs=jobs, secrets=secrets, egress=egress,
        visitors=VisitorTokens(secrets.derive("hezi app-visitor tokens v1")), keys=keys,
        limiter=RateLimiter(sessionmaker),
        supervisor=supervisor, gateway=gateway, meter=meter, providers=providers, models=models,
        embed=embed, reranker=reranker, retriever=retriever,
        chat=ChatService(sessionmaker, models, retriever, egress, secrets, settings,
                         canned=AnnotationReplies(sessionmaker, models)),
        warming=PrefixWarming(sessionmaker, models, secrets, egress),
        metrics_registry=registry, prober=prober, sampler=sampler,
        loop=asyncio.get_running_loop(), serves_models=serves_models,
    )  # fmt: skip
    keys.start()
    try:
        yield services
    finally:
        await keys.close()
        await sampler.stop()
        await supervisor.close()
        prober.close()
        await meter.close()


def _database_url(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    """The URL the sessions connect to, for the connections of our own that LISTEN (None: no engine bound)."""
    bind = sessionmaker.kw.get("bind")
    return bind.url.render_as_string(hide_password=False) if isinstance(bind, AsyncEngine) else None
