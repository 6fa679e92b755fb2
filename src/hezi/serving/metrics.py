"""Serving metrics for Prometheus: requests, tokens, latency histograms, queue depth, worker restarts."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from hezi.serving.prefixes import prefix_cache
from hezi.serving.supervisor import Supervisor
from hezi.serving.usage import Usage

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
_TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)


class ServingMetrics:
    """Per-app metric objects (no process-global registry, so tests can build several apps)."""

    def __init__(self, registry: CollectorRegistry, supervisor: Supervisor) -> None:
        self.requests = Counter("hezi_requests", "gateway requests", ["model", "endpoint", "status"], registry=registry)
        self.tokens = Counter("hezi_tokens", "tokens read and generated", ["model", "direction"], registry=registry)
        self.latency = Histogram("hezi_request_duration_seconds", "gateway request latency", ["model", "endpoint"],
                                 buckets=_LATENCY_BUCKETS, registry=registry)  # fmt: skip
        self.ttft = Histogram("hezi_time_to_first_token_seconds", "time to the first generated token", ["model"],
                              buckets=_TTFT_BUCKETS, registry=registry)  # fmt: skip
        registry.register(_SupervisorCollector(supervisor))

    def observe(self, u: Usage) -> None:
        self.requests.labels(u.model, u.endpoint, u.status).inc()
        self.tokens.labels(u.model, "prompt").inc(u.prompt_tokens)
        self.tokens.labels(u.model, "completion").inc(u.completion_tokens)
        self.latency.labels(u.model, u.endpoint).observe(u.latency_ms / 1000)
        if u.ttft_ms is not None:
            self.ttft.labels(u.model).observe(u.ttft_ms / 1000)


class _SupervisorCollector(Collector):
    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        queue = GaugeMetricFamily("hezi_queue_depth", "requests in flight or queued per model", labels=["model"])
        ready = GaugeMetricFamily("hezi_model_ready_replicas", "replicas ready to serve", labels=["model"])
        restarts = CounterMetricFamily("hezi_worker_restarts", "model worker restarts", labels=["model"])
        # What prefix caching saved, from the ready chat workers' counters (since each started).
        hits = CounterMetricFamily(
            "hezi_prefix_cache_hits", "requests that started from another sequence's or a pinned prefix's K/V",
            labels=["model", "source"],
        )  # fmt: skip
        reused = CounterMetricFamily("hezi_prefix_tokens_reused", "prompt tokens not computed again", labels=["model"])
        pinned = GaugeMetricFamily("hezi_pinned_prefixes", "published apps' prefixes held computed", labels=["model"])
        pinned_bytes = GaugeMetricFamily(
            "hezi_pinned_prefix_bytes", "KV memory held by pinned prefixes", labels=["model", "kind"]
        )
        for spec in self.supervisor.specs():
            reps = self.supervisor.replicas(spec.deployment_id)
            queue.add_metric([spec.model_name], sum(r.in_flight for r in reps))
            ready.add_metric([spec.model_name], sum(1 for r in reps if r.status == "ready"))
            restarts.add_metric([spec.model_name], sum(r.restarts for r in reps))
            cache = prefix_cache(reps)
            if cache is not None:
                hits.add_metric([spec.model_name, "pinned"], cache.pinned_hits)
                hits.add_metric([spec.model_name, "sequence"], cache.prefix_hits - cache.pinned_hits)
                reused.add_metric([spec.model_name], cache.tokens_reused)
                pinned.add_metric([spec.model_name], cache.pinned)
                pinned_bytes.add_metric([spec.model_name, "used"], cache.pinned_bytes)
                pinned_bytes.add_metric([spec.model_name, "reserved"], cache.pinned_reserved_bytes)
        yield queue
        yield ready
        yield restarts
        yield from (hits, reused, pinned, pinned_bytes)
