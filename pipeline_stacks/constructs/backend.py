"""The contract between a model backend (SageMaker endpoint or Bedrock) and the API front door."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam


@runtime_checkable
class InferenceBackend(Protocol):
    """What the front door needs from whatever serves the model.

    ``environment``: the Lambda environment variables that select and address the backend
    (``BACKEND`` = ``sagemaker`` | ``bedrock``, plus ``ENDPOINT_NAME`` or ``MODEL_ID`` /
    ``GUARDRAIL_ID`` / ``GUARDRAIL_VERSION``). ``grant_invoke`` gives exactly the invoke
    permission on exactly this model. ``alarm_metrics`` are the backend's health metrics the
    monitoring construct alarms on (name -> metric).
    """

    @property
    def backend_name(self) -> str: ...

    @property
    def environment(self) -> Mapping[str, str]: ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant: ...

    def alarm_metrics(self) -> Mapping[str, cloudwatch.IMetric]: ...


def backend_metric(
    namespace: str, metric_name: str, dimensions: Mapping[str, str], *, statistic: str, period: cdk.Duration | None
) -> cloudwatch.Metric:
    """A backend's CloudWatch metric; ``period`` defaults to one minute (the backends' metric resolution)."""
    return cloudwatch.Metric(
        namespace=namespace,
        metric_name=metric_name,
        dimensions_map=dict(dimensions),
        statistic=statistic,
        period=period or cdk.Duration.minutes(1),
    )
