"""CloudWatch metrics for a sanitization run (boto3 ``put_metric_data``, batched)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pipeline_contract import SanitizationMetric as M

DEFAULT_NAMESPACE = M.NAMESPACE
MAX_DATUMS_PER_CALL = 1000  # PutMetricData limit: 1000 metrics per request


def build_metric_data(
    job_name: str,
    records_in: int,
    sanitized: int,
    quarantined: Mapping[str, int],
    entity_counts: Mapping[str, int],
    invariant_holds: bool,
) -> list[dict[str, Any]]:
    """Metric datums (all unit ``Count``) for one run.

    ``RecordsIn``, ``RecordsSanitized``, ``RecordsQuarantined``, ``CountInvariantViolation`` (0/1) by
    ``JobName``; ``RecordsQuarantined`` by ``JobName`` + ``Reason``; ``EntitiesDetected`` by
    ``JobName`` + ``Entity``.
    """
    job = {"Name": M.JOB_NAME, "Value": job_name}

    def datum(name: str, value: int, extra: dict[str, str] | None = None) -> dict[str, Any]:
        dims = [job] + ([extra] if extra else [])
        return {"MetricName": name, "Dimensions": dims, "Value": float(value), "Unit": "Count"}

    data = [
        datum(M.RECORDS_IN, records_in),
        datum(M.RECORDS_SANITIZED, sanitized),
        datum(M.RECORDS_QUARANTINED, sum(quarantined.values())),
        datum(M.COUNT_INVARIANT_VIOLATION, 0 if invariant_holds else 1),
    ]
    data += [datum(M.RECORDS_QUARANTINED, n, {"Name": M.REASON, "Value": r}) for r, n in sorted(quarantined.items())]
    data += [datum(M.ENTITIES_DETECTED, n, {"Name": M.ENTITY, "Value": e}) for e, n in sorted(entity_counts.items())]
    return data


def put_metrics(client: Any, namespace: str, data: Iterable[dict[str, Any]]) -> int:
    """Send ``data`` with as few ``PutMetricData`` calls as the API allows; returns the number of calls."""
    items = list(data)
    calls = 0
    for start in range(0, len(items), MAX_DATUMS_PER_CALL):
        client.put_metric_data(Namespace=namespace, MetricData=items[start : start + MAX_DATUMS_PER_CALL])
        calls += 1
    return calls
