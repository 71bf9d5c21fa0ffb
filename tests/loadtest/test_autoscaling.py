"""Autoscaling observer against botocore-stubbed SageMaker, CloudWatch and Application Auto Scaling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from loadtest.autoscaling import AutoscalingData, AutoscalingObserver

T0 = dt.datetime(2026, 12, 7, 12, 0, 0, tzinfo=dt.UTC)
EPOCH0 = T0.timestamp()


def _endpoint(current: int, desired: int, status: str = "InService") -> dict[str, Any]:
    return {
        "EndpointName": "chat",
        "EndpointArn": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/chat",
        "EndpointConfigName": "chat-config",
        "EndpointStatus": status,
        "CreationTime": T0,
        "LastModifiedTime": T0,
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "CurrentInstanceCount": current, "DesiredInstanceCount": desired}
        ],
    }


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    made = {name: session.client(name) for name in ("sagemaker", "cloudwatch", "application-autoscaling")}
    stubs = {name: Stubber(client) for name, client in made.items()}
    for stub in stubs.values():
        stub.activate()
    yield {"clients": made, "stubs": stubs}
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _observer(clients: dict[str, Any], now: list[float]) -> AutoscalingObserver:
    c = clients["clients"]
    return AutoscalingObserver(
        "chat",
        sagemaker=c["sagemaker"],
        cloudwatch=c["cloudwatch"],
        autoscaling=c["application-autoscaling"],
        t0=EPOCH0,
        clock=lambda: now[0],
    )


def test_observer_finds_scaling_relative_to_load(clients: dict[str, Any]) -> None:
    sm, cw, aas = (clients["stubs"][n] for n in ("sagemaker", "cloudwatch", "application-autoscaling"))
    sm.add_response("describe_endpoint", _endpoint(1, 1), {"EndpointName": "chat"})  # variant lookup
    for current, desired in ((1, 1), (1, 2), (2, 2)):
        sm.add_response("describe_endpoint", _endpoint(current, desired), {"EndpointName": "chat"})
    minute = [T0 + dt.timedelta(minutes=i) for i in range(3)]
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "invocations",
                    "Label": "Invocations",
                    "Timestamps": minute,
                    "Values": [60.0, 240.0, 300.0],
                    "StatusCode": "Complete",
                },
                {
                    "Id": "invocations_per_instance",
                    "Label": "IPI",
                    "Timestamps": minute,
                    "Values": [60.0, 240.0, 150.0],
                    "StatusCode": "Complete",
                },
            ],
            "NextToken": "page-2",
        },
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": "TimestampAscending"},
    )
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "cpu_utilization",
                    "Label": "CPU",
                    "Timestamps": [minute[1]],
                    "Values": [85.0],
                    "StatusCode": "Complete",
                }
            ]
        },
        {
            "MetricDataQueries": ANY,
            "StartTime": ANY,
            "EndTime": ANY,
            "ScanBy": "TimestampAscending",
            "NextToken": "page-2",
        },
    )
    aas.add_response(
        "describe_scaling_activities",
        {
            "ScalingActivities": [
                {
                    "ActivityId": "a1",
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": "endpoint/chat/variant/AllTraffic",
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "Description": "Setting desired instance count to 2.",
                    "Cause": "alarm high",
                    "StartTime": T0 + dt.timedelta(seconds=75),
                    "StatusCode": "Successful",
                },
                {
                    "ActivityId": "old",
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": "endpoint/chat/variant/AllTraffic",
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "Description": "yesterday",
                    "Cause": "x",
                    "StartTime": T0 - dt.timedelta(days=1),
                    "StatusCode": "Successful",
                },
            ]
        },
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/chat/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        },
    )
    now = [EPOCH0 + 30]
    observer = _observer(clients, now)
    assert observer.variant == "AllTraffic"
    for t in (30, 90, 150):
        now[0] = EPOCH0 + t
        observer.sample()
    data = observer.collect(EPOCH0, EPOCH0 + 180)

    assert [(s.t, s.current, s.desired) for s in data.samples] == [(30, 1, 1), (90, 1, 2), (150, 2, 2)]
    assert data.metrics["invocations_per_instance"] == [(0.0, 60.0), (60.0, 240.0), (120.0, 150.0)]
    assert data.metrics["cpu_utilization"] == [(60.0, 85.0)]
    assert data.metrics["gpu_utilization"] == []
    assert [(e.t, e.source) for e in data.events] == [(75.0, "activity"), (150.0, "instance_count")]
    assert data.events[1].from_count == 1 and data.events[1].to_count == 2
    assert data.notes == []
    assert AutoscalingData.from_dict(data.as_dict()) == data


def test_observer_keeps_going_when_aws_calls_fail(clients: dict[str, Any]) -> None:
    sm, cw, aas = (clients["stubs"][n] for n in ("sagemaker", "cloudwatch", "application-autoscaling"))
    sm.add_response("describe_endpoint", _endpoint(1, 1), {"EndpointName": "chat"})
    sm.add_client_error("describe_endpoint", "ThrottlingException", "Rate exceeded")
    cw.add_client_error("get_metric_data", "AccessDenied", "no")
    aas.add_client_error("describe_scaling_activities", "AccessDeniedException", "no")
    now = [EPOCH0 + 10]
    observer = _observer(clients, now)
    sample = observer.sample()
    assert (sample.current, sample.status) == (None, "error")
    data = observer.collect(EPOCH0, EPOCH0 + 60)
    assert data.events == []
    joined = " | ".join(data.notes)
    assert "DescribeEndpoint failed" in joined and "GetMetricData failed" in joined
    assert "DescribeScalingActivities failed" in joined


def test_inference_component_copies_activities_and_metrics(clients: dict[str, Any]) -> None:
    """Scale-to-zero endpoints: copies of the inference component scale, from 0 on NoCapacityInvocationFailures."""
    sm, cw, aas = (clients["stubs"][n] for n in ("sagemaker", "cloudwatch", "application-autoscaling"))
    sm.add_response("describe_endpoint", _endpoint(0, 0), {"EndpointName": "chat"})
    for instances, copies in ((0, 0), (1, 1)):
        sm.add_response("describe_endpoint", _endpoint(instances, instances), {"EndpointName": "chat"})
        sm.add_response(
            "describe_inference_component",
            {
                "InferenceComponentName": "chat-ic",
                "InferenceComponentArn": "arn:aws:sagemaker:eu-west-1:123456789012:inference-component/chat-ic",
                "EndpointName": "chat",
                "EndpointArn": "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/chat",
                "CreationTime": T0,
                "LastModifiedTime": T0,
                "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
            },
            {"InferenceComponentName": "chat-ic"},
        )
    cw.add_response(
        "get_metric_data",
        {
            "MetricDataResults": [
                {
                    "Id": "no_capacity_failures",
                    "Label": "NoCap",
                    "Timestamps": [T0],
                    "Values": [12.0],
                    "StatusCode": "Complete",
                }
            ]
        },
        {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": "TimestampAscending"},
    )
    aas.add_response(
        "describe_scaling_activities",
        {"ScalingActivities": []},
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": "inference-component/chat-ic",
            "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
        },
    )
    c = clients["clients"]
    now = [EPOCH0 + 10]
    observer = AutoscalingObserver(
        "chat",
        sagemaker=c["sagemaker"],
        cloudwatch=c["cloudwatch"],
        autoscaling=c["application-autoscaling"],
        inference_component="chat-ic",
        t0=EPOCH0,
        clock=lambda: now[0],
    )
    observer.sample()
    now[0] = EPOCH0 + 200
    observer.sample()
    data = observer.collect(EPOCH0, EPOCH0 + 240)
    assert data.metrics["no_capacity_failures"] == [(0.0, 12.0)]
    assert set(data.metrics) == {"invocations", "invocations_per_copy", "no_capacity_failures"}
    assert sorted((e.source, e.description) for e in data.events) == [
        ("copy_count", "copies 0 -> 1"),
        ("instance_count", "instances 0 -> 1"),
    ]
    assert data.inference_component == "chat-ic"
