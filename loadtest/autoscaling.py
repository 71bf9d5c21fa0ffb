"""Autoscaling check: what a SageMaker endpoint's fleet did while the load ran.

Three sources, all read-only (IAM: ``sagemaker:DescribeEndpoint``, ``cloudwatch:GetMetricData``,
``application-autoscaling:DescribeScalingActivities``):

- ``DescribeEndpoint`` polled during the run: ``CurrentInstanceCount`` / ``DesiredInstanceCount`` of the variant
  (the instance count over time; a change between two polls is a scaling event).
- Application Auto Scaling ``DescribeScalingActivities`` for ``endpoint/<name>/variant/<variant>``: the exact start of
  every scaling activity and its cause (the alarm that fired).
- CloudWatch ``AWS/SageMaker`` ``Invocations`` and ``InvocationsPerInstance`` (Sum per minute, the usual target-tracking
  metric) and ``/aws/sagemaker/Endpoints`` ``CPUUtilization`` / ``GPUUtilization`` (Average).

With ``inference_component`` (scale-to-zero endpoints host the model as an inference component whose *copies* scale),
the observer also polls ``DescribeInferenceComponent`` (``RuntimeConfig.CurrentCopyCount``/``DesiredCopyCount``), reads
the component's scaling activities (``inference-component/<name>``, ``sagemaker:inference-component:DesiredCopyCount``)
and its metrics (``Invocations``, ``InvocationsPerCopy``, ``NoCapacityInvocationFailures`` by
``InferenceComponentName``); IAM adds ``sagemaker:DescribeInferenceComponent``.

Times are seconds since the load started, so the report draws them on the same axis as the load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

METRICS: tuple[tuple[str, str, str, str], ...] = (
    # (id, namespace, metric, statistic)
    ("invocations", "AWS/SageMaker", "Invocations", "Sum"),
    ("invocations_per_instance", "AWS/SageMaker", "InvocationsPerInstance", "Sum"),
    ("cpu_utilization", "/aws/sagemaker/Endpoints", "CPUUtilization", "Average"),
    ("gpu_utilization", "/aws/sagemaker/Endpoints", "GPUUtilization", "Average"),
)
IC_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("invocations", "AWS/SageMaker", "Invocations", "Sum"),
    ("invocations_per_copy", "AWS/SageMaker", "InvocationsPerCopy", "Sum"),
    ("no_capacity_failures", "AWS/SageMaker", "NoCapacityInvocationFailures", "Sum"),
)


@dataclass
class InstanceSample:
    """The variant's instance counts at ``t`` seconds since the load started."""

    t: float
    current: int | None
    desired: int | None
    status: str = ""
    copies_current: int | None = None
    copies_desired: int | None = None


@dataclass
class ScalingEvent:
    """A scaling activity (``source`` ``activity``) or an observed instance-count change (``instance_count``)."""

    t: float
    source: str
    description: str
    status: str = ""
    from_count: int | None = None
    to_count: int | None = None


@dataclass
class AutoscalingData:
    """Everything the observer gathered, ready for the report."""

    endpoint: str
    variant: str
    inference_component: str | None = None
    samples: list[InstanceSample] = field(default_factory=list)
    metrics: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    events: list[ScalingEvent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutoscalingData:
        """Inverse of :meth:`as_dict`."""
        return cls(
            endpoint=data["endpoint"],
            variant=data["variant"],
            inference_component=data.get("inference_component"),
            samples=[InstanceSample(**s) for s in data.get("samples", [])],
            metrics={k: [(float(t), float(v)) for t, v in pts] for k, pts in data.get("metrics", {}).items()},
            events=[ScalingEvent(**e) for e in data.get("events", [])],
            notes=list(data.get("notes", [])),
        )


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    return float(value)


class AutoscalingObserver:
    """Polls and reads the scaling of one SageMaker endpoint variant (clients injected: boto3 or stubbed)."""

    def __init__(
        self,
        endpoint: str,
        *,
        sagemaker: Any,
        cloudwatch: Any,
        autoscaling: Any,
        variant: str | None = None,
        inference_component: str | None = None,
        t0: float = 0.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self.endpoint = endpoint
        self.sagemaker = sagemaker
        self.cloudwatch = cloudwatch
        self.autoscaling = autoscaling
        self.t0 = t0
        self.clock = clock or time.time
        self.samples: list[InstanceSample] = []
        self.notes: list[str] = []
        self.inference_component = inference_component
        self.variant = variant or self._first_variant()

    @classmethod
    def from_boto3(
        cls,
        endpoint: str,
        *,
        region: str | None = None,
        variant: str | None = None,
        inference_component: str | None = None,
        t0: float = 0.0,
    ) -> AutoscalingObserver:
        """An observer with boto3 clients of ``region`` (default chain for credentials)."""
        import boto3

        session = boto3.session.Session(region_name=region)
        return cls(
            endpoint,
            sagemaker=session.client("sagemaker"),
            cloudwatch=session.client("cloudwatch"),
            autoscaling=session.client("application-autoscaling"),
            variant=variant,
            inference_component=inference_component,
            t0=t0,
        )

    def _describe(self) -> dict[str, Any]:
        return self.sagemaker.describe_endpoint(EndpointName=self.endpoint)

    def _first_variant(self) -> str:
        variants = self._describe().get("ProductionVariants") or []
        if not variants:
            raise ValueError(f"endpoint {self.endpoint!r} has no production variants")
        return str(variants[0]["VariantName"])

    def sample(self) -> InstanceSample:
        """Read the variant's instance counts now (errors become a note and an empty sample)."""
        now = self.clock() - self.t0
        try:
            described = self._describe()
        except Exception as exc:
            self.notes.append(f"DescribeEndpoint failed at t={now:.0f}s: {exc}")
            sample = InstanceSample(now, None, None, "error")
        else:
            variant: dict[str, Any] = next(
                (v for v in described.get("ProductionVariants") or [] if v.get("VariantName") == self.variant), {}
            )
            sample = InstanceSample(
                now,
                variant.get("CurrentInstanceCount"),
                variant.get("DesiredInstanceCount"),
                str(described.get("EndpointStatus", "")),
            )
        if self.inference_component:
            try:
                component = self.sagemaker.describe_inference_component(InferenceComponentName=self.inference_component)
            except Exception as exc:
                self.notes.append(f"DescribeInferenceComponent failed at t={now:.0f}s: {exc}")
            else:
                runtime = component.get("RuntimeConfig") or {}
                sample.copies_current = runtime.get("CurrentCopyCount")
                sample.copies_desired = runtime.get("DesiredCopyCount")
        self.samples.append(sample)
        return sample

    def _metrics(self, start: float, end: float, period: int) -> dict[str, list[tuple[float, float]]]:
        dims = [{"Name": "EndpointName", "Value": self.endpoint}, {"Name": "VariantName", "Value": self.variant}]
        metrics = METRICS
        if self.inference_component:
            dims = [{"Name": "InferenceComponentName", "Value": self.inference_component}]
            metrics = IC_METRICS
        queries = [
            {
                "Id": mid,
                "MetricStat": {
                    "Metric": {"Namespace": ns, "MetricName": name, "Dimensions": dims},
                    "Period": period,
                    "Stat": stat,
                },
                "ReturnData": True,
            }
            for mid, ns, name, stat in metrics
        ]
        out: dict[str, list[tuple[float, float]]] = {mid: [] for mid, *_ in metrics}
        kwargs: dict[str, Any] = {
            "MetricDataQueries": queries,
            "StartTime": dt.datetime.fromtimestamp(start - period, dt.UTC),
            "EndTime": dt.datetime.fromtimestamp(end + period, dt.UTC),
            "ScanBy": "TimestampAscending",
        }
        while True:
            answer = self.cloudwatch.get_metric_data(**kwargs)
            for result in answer.get("MetricDataResults", []):
                points = out.setdefault(result["Id"], [])
                points.extend(
                    (_epoch(t) - self.t0, float(v))
                    for t, v in zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                )
            token = answer.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        return {k: sorted(v) for k, v in out.items()}

    def _activities(self, start: float, end: float) -> list[ScalingEvent]:
        kwargs: dict[str, Any] = {
            "ServiceNamespace": "sagemaker",
            "ResourceId": f"endpoint/{self.endpoint}/variant/{self.variant}",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        }
        if self.inference_component:
            kwargs["ResourceId"] = f"inference-component/{self.inference_component}"
            kwargs["ScalableDimension"] = "sagemaker:inference-component:DesiredCopyCount"
        events: list[ScalingEvent] = []
        while True:
            answer = self.autoscaling.describe_scaling_activities(**kwargs)
            for activity in answer.get("ScalingActivities", []):
                t = _epoch(activity["StartTime"])
                if start <= t <= end:
                    events.append(
                        ScalingEvent(
                            t=t - self.t0,
                            source="activity",
                            description=str(activity.get("Description", "")),
                            status=str(activity.get("StatusCode", "")),
                        )
                    )
            token = answer.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        return events

    def _count_changes(self) -> list[ScalingEvent]:
        events: list[ScalingEvent] = []
        for attribute, source, unit in (
            ("current", "instance_count", "instances"),
            ("copies_current", "copy_count", "copies"),
        ):
            last: int | None = None
            for sample in self.samples:
                value = getattr(sample, attribute)
                if value is None:
                    continue
                if last is not None and value != last:
                    events.append(
                        ScalingEvent(
                            t=sample.t,
                            source=source,
                            description=f"{unit} {last} -> {value}",
                            from_count=last,
                            to_count=value,
                        )
                    )
                last = value
        return events

    def collect(self, start: float, end: float, period: int = 60) -> AutoscalingData:
        """Metrics and scaling activities between the epoch seconds ``start`` and ``end``, plus the polled samples."""
        data = AutoscalingData(
            endpoint=self.endpoint,
            variant=self.variant,
            inference_component=self.inference_component,
            samples=list(self.samples),
        )
        try:
            data.metrics = self._metrics(start, end, period)
        except Exception as exc:
            self.notes.append(f"GetMetricData failed: {exc}")
        try:
            activities = self._activities(start, end)
        except Exception as exc:
            self.notes.append(f"DescribeScalingActivities failed: {exc}")
            activities = []
        data.events = sorted([*activities, *self._count_changes()], key=lambda e: e.t)
        if not any(data.metrics.values()):
            self.notes.append("CloudWatch returned no datapoints (metrics lag 1-3 minutes; rerun with a longer tail)")
        data.notes = list(self.notes)
        return data
