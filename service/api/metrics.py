"""Prometheus metrics, one registry per app so several apps can live in one process (tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, CPU seconds, open files
        self.requests = Counter("groundqa_requests_total", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.request_seconds = Histogram("groundqa_request_seconds", "HTTP request latency by route",
                                         ["route"], buckets=STAGE_BUCKETS, registry=self.registry)
        self.stage_seconds = Histogram("groundqa_stage_seconds", "Latency of answering stages (embed, search, read)",
                                       ["stage"], buckets=STAGE_BUCKETS, registry=self.registry)
        self.asks = Counter("groundqa_asks_total", "Questions answered, by outcome: answered or not_found (abstained)",
                            ["outcome", "collection"], registry=self.registry)
        self.feedback = Counter("groundqa_feedback_total", "Users' verdicts on answers (POST /v1/feedback)",
                                ["verdict", "collection"], registry=self.registry)
        self.cached_answers = Counter("groundqa_answer_cache_hits_total", "Asks answered from the answer cache",
                                      registry=self.registry)
        self.documents = Gauge("groundqa_index_documents", "Documents in the index, by collection (those open)",
                               ["collection"], registry=self.registry)
        self.chunks = Gauge("groundqa_index_chunks", "Chunks (vectors) in the index, by collection (those open)",
                            ["collection"], registry=self.registry)

    def observe_ask(self, no_answer: bool, collection: str) -> None:
        self.asks.labels("not_found" if no_answer else "answered", collection).inc()

    def observe_stages(self, timings_ms: dict[str, float]) -> None:
        for stage, ms in timings_ms.items():
            if stage != "total":
                self.stage_seconds.labels(stage).observe(ms / 1000)
