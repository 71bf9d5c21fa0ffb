"""Metrics: CloudWatch EMF through the front door's Powertools ``Metrics`` on Lambda, an in-memory counter locally."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any


class Metrics:
    """Counts per name; ``emf=True`` also adds them to Powertools' EMF ``Metrics`` (flushed per request)."""

    def __init__(self, emf: bool = False) -> None:
        self.counts: dict[str, float] = defaultdict(float)
        self.lock = threading.Lock()
        self._emf: Any = None
        if emf:
            from frontdoor.observability import metrics

            self._emf = metrics

    def add(self, name: str, value: float = 1, unit: str = "Count") -> None:
        """Record one data point (``unit``: a CloudWatch unit name, e.g. ``Count``, ``Milliseconds``)."""
        with self.lock:
            self.counts[name] += value
            if self._emf is not None:
                from aws_lambda_powertools.metrics import MetricUnit

                self._emf.add_metric(name=name, unit=MetricUnit(unit), value=value)

    def flush(self) -> None:
        """Write pending EMF records to stdout (CloudWatch Logs turns them into metrics)."""
        if self._emf is not None:
            with self.lock:
                self._emf.flush_metrics(raise_on_empty_metrics=False)
