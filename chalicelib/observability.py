"""Powertools structured logging and business metrics, created on first use (their constructors
read the environment; nothing is created at import)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="interkanect")


# ---- Business metrics (CloudWatch embedded metric format), for the ops dashboard (infra/cdk)

# What the app counts, at the point where it happens (the dashboard graphs these names).
CALLS_RUNG = "CallsRung"
CALLS_ANSWERED = "CallsAnswered"
PAYMENTS_CAPTURED = "PaymentsCaptured"
REFUNDS = "Refunds"
PAYOUTS = "Payouts"
NAMESPACE = "interKanect"
SERVICE = "interkanect"


class EmfMetrics:
    """Powertools Metrics: each count is written at once as one EMF line on stdout, which Lambda
    sends to CloudWatch Logs and CloudWatch turns into a metric (no client, no API call, nothing
    to flush at the end of a handler). Created on first use: the constructor reads the
    environment (POWERTOOLS_* settings)."""

    def __init__(self) -> None:
        from aws_lambda_powertools import Metrics

        self._metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

    def count(self, name: str, value: int = 1) -> None:
        from aws_lambda_powertools.metrics import MetricUnit

        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        self._metrics.flush_metrics()


class RecordedMetrics:
    """The in-memory twin: remembers what was counted (tests; and the local stack, where no one
    reads the metrics)."""

    def __init__(self, keep: int = 1000) -> None:
        from collections import deque

        self.counts: Any = deque(maxlen=keep)  # bounded: the local stack runs for days

    def count(self, name: str, value: int = 1) -> None:
        self.counts.append((name, value))

    def total(self, name: str) -> int:
        return sum(value for counted, value in self.counts if counted == name)


_metrics: Any = None


def metrics() -> Any:
    """The metrics sink: EMF on Lambda (AWS_LAMBDA_FUNCTION_NAME is set), the in-memory twin
    elsewhere; chosen on first use."""
    global _metrics
    if _metrics is None:
        import os

        _metrics = EmfMetrics() if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else RecordedMetrics()
    return _metrics


def use_metrics(sink: Any) -> Any:
    """Installs `sink` (EmfMetrics, RecordedMetrics, None for the default); returns the previous."""
    global _metrics
    previous, _metrics = _metrics, sink
    return previous


def count(name: str, value: int = 1) -> None:
    """Counts one business event; never lets a metrics problem break the request."""
    try:
        metrics().count(name, value)
    except Exception:  # noqa: BLE001 - a metric is never worth a failed payment
        logger().warning("metric not emitted", extra={"metric": name})
