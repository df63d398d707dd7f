"""Prometheus metrics of one app: requests and latency by route template and status; the
number of cases in each state and the job queue (jobs not done, how long the oldest due job has
waited), read from the database when /metrics is scraped."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from simexit.cases import repository
from simexit.clock import utc_now
from simexit.jobs import admin as jobs
from simexit.kit.gateway_metrics import GatewayCalls
from simexit.runtime import Runtime

log = structlog.get_logger()

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class CasesByState(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "simexit_cases", "Cases by state, all operators.", labels=["status"]
        )
        try:
            with self.runtime.db.read_session() as session:
                counts = repository.count_by_status(session)
        except Exception as error:  # a scrape must not fail because the database is away
            log.warning("metrics.cases_unavailable", error=type(error).__name__)
            counts = {}
        for status, count in sorted(counts.items()):
            gauge.add_metric([status], count)
        yield gauge


class JobQueue(Collector):
    """The queue as an operator watches it: a backlog or a lag that grows means deliveries (or
    executions) fall behind, or no worker runs; dead jobs wait for someone to look."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "simexit_jobs", "Jobs not done, by job name and status.", labels=["name", "status"]
        )
        lag = GaugeMetricFamily(
            "simexit_jobs_oldest_due_seconds",
            "How long the longest-waiting due job has waited to run (0: none waits).",
        )
        now = utc_now()
        try:
            with self.runtime.db.read_session() as session:
                counts = jobs.pending_by_name(session)
                oldest = jobs.oldest_due(session, now=now)
        except Exception as error:  # a scrape must not fail because the database is away
            log.warning("metrics.jobs_unavailable", error=type(error).__name__)
            return
        for (name, status), count in sorted(counts.items()):
            pending.add_metric([name, status], count)
        lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield pending
        yield lag


class ApiMetrics:
    """Registered in a registry of its own, so that several apps in one process don't collide."""

    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "simexit_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "simexit_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(CasesByState(runtime))
        self.registry.register(JobQueue(runtime))
        self.registry.register(GatewayCalls())

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
