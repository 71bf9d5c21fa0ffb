"""Model promotion steps run by the promotion state machine (``pipeline_stacks/constructs/promotion.py``).

One Lambda, four actions (``event["action"]``), each a plain function over boto3 clients so the tests drive it
with botocore's Stubber:

* ``deploy``  - re-check that the package is Approved and in the expected group (a package that is not is never
  deployed: :class:`NotApproved`), then create a SageMaker Model from the package (the live model's execution role,
  environment, network isolation and VPC are kept) and an EndpointConfig copying the live one with the new model,
  and call ``UpdateEndpoint`` with the endpoint's blue/green canary + alarm-rollback ``DeploymentConfig``.
  No endpoint yet (first promotion): nothing is deployed, ``endpointExists`` is false and the caller records the
  package so the next ``cdk deploy`` creates the endpoint from it.
* ``status``  - where the update stands: ``updating`` / ``deployed`` / ``rolled_back`` / ``failed``.
* ``record``  - write the live package ARN to the SSM parameter the serving stack reads at deploy time.

No CDK import (runtime folder). Errors are raised with the class name as the Step Functions error name.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from pipeline_contract import NO_MODEL, PromotionEnv

APPROVED = "Approved"
#: Endpoint states during which UpdateEndpoint is refused or still running.
UPDATING_STATES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"})
_IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})


class PromotionError(Exception):
    """Base class: the Step Functions error name is the subclass name."""


class NotApproved(PromotionError):
    """The package is not Approved (pending, rejected, or approval revoked since the event)."""


class WrongGroup(PromotionError):
    """The package belongs to another model package group than the one this workflow promotes."""


class EndpointBusy(PromotionError):
    """The endpoint is already updating (another promotion or a cdk deploy): retried by the state machine."""


class NoGuardrails(PromotionError):
    """The deployment config has no alarm rollback: promotion refuses to shift traffic without it."""


def _client(name: str) -> Any:
    import boto3  # the Lambda runtime ships boto3; imported lazily so tests can inject stubbed clients

    return boto3.client(name)


def check_approved(sagemaker: Any, package_arn: str, group_name: str) -> dict[str, Any]:
    """DescribeModelPackage and refuse anything not Approved or outside ``group_name``; returns the description."""
    package = sagemaker.describe_model_package(ModelPackageName=package_arn)
    status = package.get("ModelApprovalStatus")
    if status != APPROVED:
        raise NotApproved(f"{package_arn} is {status}, not {APPROVED}: not deployed")
    if package.get("ModelPackageGroupName") != group_name:
        raise WrongGroup(f"{package_arn} is in group {package.get('ModelPackageGroupName')!r}, not {group_name!r}")
    return package


def resource_names(endpoint_name: str, package: Mapping[str, Any], execution_id: str) -> str:
    """``<endpoint>-v<version>-<8 hex of the execution>``: unique per promotion, stable across retries, <= 63."""
    digest = hashlib.sha256(execution_id.encode()).hexdigest()[:8]
    suffix = f"-v{package.get('ModelPackageVersion', 0)}-{digest}"
    return endpoint_name[: 63 - len(suffix)] + suffix


def _require_rollback(deployment_config: Mapping[str, Any]) -> None:
    alarms = (deployment_config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if not alarms or "BlueGreenUpdatePolicy" not in deployment_config:
        raise NoGuardrails("DeploymentConfig needs a BlueGreenUpdatePolicy and AutoRollbackConfiguration alarms")


def _create_ignoring_duplicate(call: Any, **kwargs: Any) -> None:
    """Create calls are retried by the state machine: an object of this promotion that already exists is fine."""
    try:
        call(**kwargs)
    except Exception as error:  # botocore ClientError; matched by message, botocore is not imported here
        if "already exist" not in str(error).lower():
            raise


def deploy(
    sagemaker: Any,
    *,
    package_arn: str,
    group_name: str,
    endpoint_name: str,
    deployment_config: Mapping[str, Any],
    execution_id: str,
) -> dict[str, Any]:
    """Check approval, then roll ``package_arn`` onto ``endpoint_name`` through ``deployment_config``."""
    package = check_approved(sagemaker, package_arn, group_name)
    _require_rollback(deployment_config)
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except Exception as error:
        if "could not find endpoint" in str(error).lower():
            return {"endpointExists": False, "modelPackageArn": package_arn, "endpointConfigName": None}
        raise
    if endpoint["EndpointStatus"] in UPDATING_STATES:
        raise EndpointBusy(f"{endpoint_name} is {endpoint['EndpointStatus']}")
    current = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = current["ProductionVariants"]
    model_names = {v["ModelName"] for v in variants if "ModelName" in v}
    if len(model_names) != 1:
        raise PromotionError(f"{endpoint_name}: expected one model across its variants, found {sorted(model_names)}")
    live_model = sagemaker.describe_model(ModelName=model_names.pop())

    name = resource_names(endpoint_name, package, execution_id)
    container: dict[str, Any] = {"ModelPackageName": package_arn}
    environment = (live_model.get("PrimaryContainer") or {}).get("Environment")
    if environment:
        container["Environment"] = environment
    model: dict[str, Any] = {
        "ModelName": name,
        "PrimaryContainer": container,
        "ExecutionRoleArn": live_model["ExecutionRoleArn"],
        "EnableNetworkIsolation": bool(live_model.get("EnableNetworkIsolation", False)),
        "Tags": [{"Key": "model-package-arn", "Value": package_arn}],
    }
    if live_model.get("VpcConfig"):
        model["VpcConfig"] = live_model["VpcConfig"]
    _create_ignoring_duplicate(sagemaker.create_model, **model)

    config: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": [{**v, "ModelName": name} for v in variants],
        "Tags": [{"Key": "model-package-arn", "Value": package_arn}],
    }
    for key in ("KmsKeyId", "DataCaptureConfig", "ExecutionRoleArn", "AsyncInferenceConfig"):
        if current.get(key):
            config[key] = current[key]
    _create_ignoring_duplicate(sagemaker.create_endpoint_config, **config)

    sagemaker.update_endpoint(
        EndpointName=endpoint_name, EndpointConfigName=name, DeploymentConfig=dict(deployment_config)
    )
    return {
        "endpointExists": True,
        "modelPackageArn": package_arn,
        "endpointConfigName": name,
        "previousEndpointConfigName": endpoint["EndpointConfigName"],
    }


def status(sagemaker: Any, *, endpoint_name: str, endpoint_config_name: str) -> dict[str, Any]:
    """``updating`` while SageMaker works, then ``deployed``, ``rolled_back`` (alarm fired) or ``failed``."""
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    state = endpoint["EndpointStatus"]
    live = endpoint.get("EndpointConfigName")
    if state in _IN_PROGRESS:
        outcome = "updating"
    elif state == "InService":
        outcome = "deployed" if live == endpoint_config_name else "rolled_back"
    else:  # Failed, UpdateRollbackFailed, OutOfService, Deleting
        outcome = "failed"
    return {
        "outcome": outcome,
        "endpointStatus": state,
        "liveEndpointConfigName": live,
        "failureReason": endpoint.get("FailureReason", ""),
    }


def record(ssm: Any, *, parameter_name: str, package_arn: str) -> dict[str, Any]:
    """Overwrite the live-model parameter with ``package_arn`` (what the next ``cdk deploy`` serves)."""
    if not package_arn.startswith("arn:") or ":model-package/" not in package_arn:
        raise PromotionError(f"refusing to record {package_arn!r}: not a model package ARN (nor {NO_MODEL!r})")
    result = ssm.put_parameter(Name=parameter_name, Value=package_arn, Type="String", Overwrite=True)
    return {"parameterName": parameter_name, "version": result["Version"], "modelPackageArn": package_arn}


def handler(event: Mapping[str, Any], _context: object = None, *, clients: Mapping[str, Any] | None = None) -> Any:
    """Step Functions entry point: ``{"action": "deploy"|"status"|"record", ...}``."""
    clients = clients or {}
    action = event.get("action")
    if action == "deploy":
        return deploy(
            clients.get("sagemaker") or _client("sagemaker"),
            package_arn=event["modelPackageArn"],
            group_name=os.environ[PromotionEnv.MODEL_PACKAGE_GROUP_NAME],
            endpoint_name=os.environ[PromotionEnv.ENDPOINT_NAME],
            deployment_config=event["deploymentConfig"],
            execution_id=event["executionId"],
        )
    if action == "status":
        return status(
            clients.get("sagemaker") or _client("sagemaker"),
            endpoint_name=os.environ[PromotionEnv.ENDPOINT_NAME],
            endpoint_config_name=event["endpointConfigName"],
        )
    if action == "record":
        return record(
            clients.get("ssm") or _client("ssm"),
            parameter_name=os.environ[PromotionEnv.LIVE_MODEL_PARAMETER],
            package_arn=event["modelPackageArn"],
        )
    raise PromotionError(f"unknown action {action!r}")
