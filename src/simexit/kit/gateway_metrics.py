"""Metrics of the calls simexit makes to operators' systems: latency by gateway and operation, and
errors by gateway, operation and whether a retry can help.

Kept in this process's memory (the worker's, or the embedded server's, which also serves
/metrics): `GatewayCalls` is the collector the API registers. `gateway` is the port
(`network`, `esim`, `billing`...), `adapter` the class that made the call, `operation` the
port's method.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from simexit.errors import GatewayError

CALL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0)

# Not in prometheus_client's global registry: each app registers `GatewayCalls` in its own.
_latency = Histogram(
    "simexit_gateway_call_duration_seconds",
    "Calls to operators' systems, by gateway (port), adapter and operation.",
    ["gateway", "adapter", "operation"],
    buckets=CALL_BUCKETS,
    registry=None,
)
_errors = Counter(
    "simexit_gateway_call_errors",
    "Failed calls to operators' systems, by gateway, adapter, operation and retryability.",
    ["gateway", "adapter", "operation", "retryable"],
    registry=None,
)


@contextmanager
def gateway_call(*, gateway: str, adapter: object, operation: str) -> Iterator[None]:
    """Time the call in the block; count it as an error when the block raises (re-raised)."""
    adapter_name = type(adapter).__name__
    started = time.perf_counter()
    try:
        yield
    except Exception as error:
        retryable = error.retryable if isinstance(error, GatewayError) else True
        _errors.labels(gateway, adapter_name, operation, str(retryable).lower()).inc()
        raise
    finally:
        _latency.labels(gateway, adapter_name, operation).observe(time.perf_counter() - started)


class GatewayCalls(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _latency.collect()
        yield from _errors.collect()
