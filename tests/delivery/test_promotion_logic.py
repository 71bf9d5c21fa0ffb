"""The promotion Lambda's steps against stubbed SageMaker/SSM clients (botocore Stubber), reject paths first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import promotion
import pytest
from botocore.stub import ANY, Stubber

REGION = "us-east-1"
GROUP = "llm-pipeline"
ENDPOINT = "llm-pipeline-prod-llm"
PACKAGE = f"arn:aws:sagemaker:{REGION}:123456789012:model-package/{GROUP}/7"
OTHER_PACKAGE = f"arn:aws:sagemaker:{REGION}:123456789012:model-package/other/2"
ROLE = "arn:aws:iam::123456789012:role/endpoint-exec"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1111"
DEPLOYMENT = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 600,
        },
        "TerminationWaitInSeconds": 600,
    },
    "AutoRollbackConfiguration": {
        "Alarms": [{"AlarmName": f"{ENDPOINT}-model-latency-p99"}, {"AlarmName": f"{ENDPOINT}-invocation-5xx"}]
    },
}
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def _stubbed(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A ``service`` client and its Stubber; every queued response must have been used by the end of the test."""
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sagemaker() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed("sagemaker")


@pytest.fixture
def ssm() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed("ssm")


def package_description(status: str, group: str = GROUP, arn: str = PACKAGE) -> dict[str, Any]:
    return {
        "ModelPackageName": group,
        "ModelPackageGroupName": group,
        "ModelPackageVersion": 7,
        "ModelPackageArn": arn,
        "CreationTime": NOW,
        "ModelPackageStatus": "Completed",
        "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
        "ModelApprovalStatus": status,
    }


def expect_describe_package(stub: Stubber, status: str, group: str = GROUP, arn: str = PACKAGE) -> None:
    stub.add_response("describe_model_package", package_description(status, group, arn), {"ModelPackageName": arn})


def endpoint_description(status: str = "InService", config: str = "live-config") -> dict[str, Any]:
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
    }


def deploy(client: Any, package: str = PACKAGE, **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "package_arn": package,
        "group_name": GROUP,
        "endpoint_name": ENDPOINT,
        "deployment_config": DEPLOYMENT,
        "execution_id": "arn:aws:states:us-east-1:123456789012:execution:promote:abc",
    }
    return promotion.deploy(client, **{**kwargs, **overrides})


# ------------------------------------------------------------------ reject paths: nothing is deployed


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_a_package_that_is_not_approved_is_never_deployed(sagemaker: tuple[Any, Stubber], status: str) -> None:
    client, stub = sagemaker
    expect_describe_package(stub, status)
    # No further response is queued: any DescribeEndpoint/CreateModel/UpdateEndpoint call would fail the stub.
    with pytest.raises(promotion.NotApproved, match=status):
        deploy(client)


def test_a_package_of_another_group_is_refused(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    expect_describe_package(stub, "Approved", group="other", arn=OTHER_PACKAGE)
    with pytest.raises(promotion.WrongGroup, match="other"):
        deploy(client, package=OTHER_PACKAGE)


def test_an_unknown_package_fails_the_promotion(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    stub.add_client_error("describe_model_package", "ValidationException", "Model package not found")
    with pytest.raises(Exception, match="not found"):
        deploy(client)


def test_a_deployment_config_without_alarm_rollback_is_refused(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    expect_describe_package(stub, "Approved")
    unsafe = {"BlueGreenUpdatePolicy": DEPLOYMENT["BlueGreenUpdatePolicy"]}
    with pytest.raises(promotion.NoGuardrails):
        deploy(client, deployment_config=unsafe)


def test_a_busy_endpoint_is_reported_for_a_retry(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    expect_describe_package(stub, "Approved")
    stub.add_response("describe_endpoint", endpoint_description("Updating"), {"EndpointName": ENDPOINT})
    with pytest.raises(promotion.EndpointBusy, match="Updating"):
        deploy(client)


# ------------------------------------------------------------------ the happy path


def test_an_approved_package_is_rolled_out_with_the_canary_and_alarm_rollback(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    expect_describe_package(stub, "Approved")
    stub.add_response("describe_endpoint", endpoint_description(), {"EndpointName": ENDPOINT})
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "live-model",
        "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1,
        "ContainerStartupHealthCheckTimeoutInSeconds": 1200,
    }
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 10,
        "DestinationS3Uri": "s3://interactions/data-capture",
        "KmsKeyId": KEY,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    stub.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": "live-config",
            "EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint-config/live-config",
            "ProductionVariants": [variant],
            "DataCaptureConfig": capture,
            "KmsKeyId": KEY,
            "CreationTime": NOW,
        },
        {"EndpointConfigName": "live-config"},
    )
    stub.add_response(
        "describe_model",
        {
            "ModelName": "live-model",
            "PrimaryContainer": {"ModelPackageName": "old", "Environment": {"OPTION_TENSOR_PARALLEL_DEGREE": "1"}},
            "ExecutionRoleArn": ROLE,
            "CreationTime": NOW,
            "ModelArn": f"arn:aws:sagemaker:{REGION}:123456789012:model/live-model",
            "EnableNetworkIsolation": True,
        },
        {"ModelName": "live-model"},
    )
    tags = [{"Key": "model-package-arn", "Value": PACKAGE}]
    stub.add_response(
        "create_model",
        {"ModelArn": f"arn:aws:sagemaker:{REGION}:123456789012:model/new"},
        {
            "ModelName": ANY,
            "PrimaryContainer": {"ModelPackageName": PACKAGE, "Environment": {"OPTION_TENSOR_PARALLEL_DEGREE": "1"}},
            "ExecutionRoleArn": ROLE,
            "EnableNetworkIsolation": True,
            "Tags": tags,
        },
    )
    stub.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint-config/new"},
        {
            "EndpointConfigName": ANY,
            "ProductionVariants": [{**variant, "ModelName": ANY}],
            "DataCaptureConfig": capture,
            "KmsKeyId": KEY,
            "Tags": tags,
        },
    )
    stub.add_response(
        "update_endpoint",
        {"EndpointArn": f"arn:aws:sagemaker:{REGION}:123456789012:endpoint/{ENDPOINT}"},
        {"EndpointName": ENDPOINT, "EndpointConfigName": ANY, "DeploymentConfig": DEPLOYMENT},
    )
    result = deploy(client)
    assert result["endpointExists"] is True
    assert result["previousEndpointConfigName"] == "live-config"
    assert result["endpointConfigName"].startswith(f"{ENDPOINT}-v7-")
    assert len(result["endpointConfigName"]) <= 63


def test_the_first_promotion_deploys_nothing_when_no_endpoint_exists(sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    expect_describe_package(stub, "Approved")
    stub.add_client_error("describe_endpoint", "ValidationException", f'Could not find endpoint "{ENDPOINT}".')
    assert deploy(client) == {"endpointExists": False, "modelPackageArn": PACKAGE, "endpointConfigName": None}


def test_names_are_stable_per_execution_and_fit_sagemaker_limits() -> None:
    long_name = "e" * 63
    first = promotion.resource_names(long_name, {"ModelPackageVersion": 12345}, "exec-1")
    assert first == promotion.resource_names(long_name, {"ModelPackageVersion": 12345}, "exec-1")
    assert first != promotion.resource_names(long_name, {"ModelPackageVersion": 12345}, "exec-2")
    assert len(first) == 63 and first.endswith("-v12345-" + first[-8:])


# ------------------------------------------------------------------ status and record


@pytest.mark.parametrize(
    ("state", "live", "outcome"),
    [
        ("Updating", "live-config", "updating"),
        ("RollingBack", "new-config", "updating"),
        ("InService", "new-config", "deployed"),
        ("InService", "live-config", "rolled_back"),
        ("Failed", "new-config", "failed"),
        ("UpdateRollbackFailed", "live-config", "failed"),
    ],
)
def test_status_tells_deployed_from_rolled_back(
    sagemaker: tuple[Any, Stubber], state: str, live: str, outcome: str
) -> None:
    client, stub = sagemaker
    stub.add_response("describe_endpoint", endpoint_description(state, live), {"EndpointName": ENDPOINT})
    result = promotion.status(client, endpoint_name=ENDPOINT, endpoint_config_name="new-config")
    assert result["outcome"] == outcome


def test_record_overwrites_the_live_model_parameter(ssm: tuple[Any, Stubber]) -> None:
    client, stub = ssm
    stub.add_response(
        "put_parameter",
        {"Version": 4, "Tier": "Standard"},
        {"Name": "/llm/prod/live-model-package", "Value": PACKAGE, "Type": "String", "Overwrite": True},
    )
    out = promotion.record(client, parameter_name="/llm/prod/live-model-package", package_arn=PACKAGE)
    assert out == {"parameterName": "/llm/prod/live-model-package", "version": 4, "modelPackageArn": PACKAGE}


@pytest.mark.parametrize("value", [promotion.NO_MODEL, "", "grp/3", "arn:aws:s3:::bucket/model.tar.gz"])
def test_record_refuses_anything_but_a_package_arn(ssm: tuple[Any, Stubber], value: str) -> None:
    client, _ = ssm
    with pytest.raises(promotion.PromotionError):
        promotion.record(client, parameter_name="/p", package_arn=value)


def test_handler_dispatches_with_environment(monkeypatch: pytest.MonkeyPatch, sagemaker: tuple[Any, Stubber]) -> None:
    client, stub = sagemaker
    monkeypatch.setenv("MODEL_PACKAGE_GROUP_NAME", GROUP)
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    expect_describe_package(stub, "Rejected")
    event = {"action": "deploy", "modelPackageArn": PACKAGE, "deploymentConfig": DEPLOYMENT, "executionId": "x"}
    with pytest.raises(promotion.NotApproved):
        promotion.handler(event, clients={"sagemaker": client})
    with pytest.raises(promotion.PromotionError, match="unknown action"):
        promotion.handler({"action": "delete"}, clients={})
