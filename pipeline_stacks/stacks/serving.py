"""Serving stack: model endpoint (SageMaker) or Bedrock, behind the API front door."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_logs as logs
from constructs import Construct

from pipeline_stacks.config import LOG_RETENTION_DAYS, PipelineConfig
from pipeline_stacks.constructs import DataLake
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.bedrock import BedrockModel, BedrockModelProps
from pipeline_stacks.constructs.front_door import FrontDoor, FrontDoorProps, FrontDoorVpc
from pipeline_stacks.constructs.endpoint import (
    DeploymentGuardrails,
    ModelEndpoint,
    ModelEndpointProps,
    ServerlessSettings,
)


class ServingStack(cdk.Stack):
    """Consumes the lake (artifacts, interactions) and the training stack's model registry."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        data_lake: DataLake,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.data_lake = data_lake

        # backend: what serves the model (serving.backend); the front door only sees InferenceBackend
        self.backend: InferenceBackend = _backend(self, config, data_lake)

        # front door: API Gateway + WAF + auth + usage plan + the handler Lambda, in front of the backend
        self.front_door = FrontDoor(self, "FrontDoor", front_door_props(config, self.backend, data_lake))


def _backend(stack: cdk.Stack, config: PipelineConfig, data_lake: DataLake) -> InferenceBackend:
    """The model backend chosen by ``serving.backend`` (SageMaker endpoint or Bedrock model)."""
    s = config.serving
    if s.backend == "bedrock":
        return BedrockModel(
            stack,
            "Bedrock",
            props=BedrockModelProps(
                model_id=s.bedrock_model_id,
                guardrail=s.bedrock_guardrail,
                guardrail_name=f"{config.project_name}-{config.env_name}-guardrail",
                profile_regions=tuple(s.bedrock_profile_regions),
            ),
            key=data_lake.key,
        )
    return ModelEndpoint(
        stack,
        "ModelEndpoint",
        data_lake=data_lake,
        props=ModelEndpointProps(
            endpoint_name=f"{config.project_name}-{config.env_name}-llm",
            model_package_arn=s.model_package_arn,
            model_data_prefix=s.model_data_prefix,
            instance_type=s.instance_type,
            server=s.server,
            image_uri=s.image_uri,
            tensor_parallel_degree=s.tensor_parallel_degree,
            max_sequence_length=s.max_sequence_length,
            max_batch_size=s.max_batch_size,
            network_isolation=s.network_isolation,
            vpc_subnet_ids=tuple(s.vpc_subnet_ids),
            vpc_security_group_ids=tuple(s.vpc_security_group_ids),
            initial_instance_count=s.initial_instance_count,
            min_instance_count=s.min_instance_count,
            max_instance_count=s.max_instance_count,
            target_invocations_per_instance=s.target_invocations_per_instance,
            data_capture_percent=(
                0 if (s.phi_workload or s.scale_to_zero or s.serverless_memory_mb) else s.data_capture_percent
            ),
            deployment=DeploymentGuardrails(
                strategy=s.deployment_strategy,
                step_percent=s.deployment_step_percent,
                wait_seconds=s.deployment_wait_seconds,
                rollback_latency_p99_ms=s.rollback_latency_p99_ms,
                rollback_5xx_per_minute=s.rollback_5xx_per_minute,
            ),
            scale_to_zero=s.scale_to_zero,
            serverless=(
                ServerlessSettings(memory_mb=s.serverless_memory_mb, max_concurrency=s.serverless_max_concurrency)
                if s.serverless_memory_mb
                else None
            ),
        ),
    )


#: CloudWatch retention enum members, in the order of config.LOG_RETENTION_DAYS.
_RETENTION = dict(zip(LOG_RETENTION_DAYS, (
    logs.RetentionDays.ONE_DAY, logs.RetentionDays.THREE_DAYS, logs.RetentionDays.FIVE_DAYS,
    logs.RetentionDays.ONE_WEEK, logs.RetentionDays.TWO_WEEKS, logs.RetentionDays.ONE_MONTH,
    logs.RetentionDays.TWO_MONTHS, logs.RetentionDays.THREE_MONTHS, logs.RetentionDays.FOUR_MONTHS,
    logs.RetentionDays.FIVE_MONTHS, logs.RetentionDays.SIX_MONTHS, logs.RetentionDays.ONE_YEAR,
    logs.RetentionDays.THIRTEEN_MONTHS, logs.RetentionDays.EIGHTEEN_MONTHS, logs.RetentionDays.TWO_YEARS,
    logs.RetentionDays.THREE_YEARS, logs.RetentionDays.FIVE_YEARS, logs.RetentionDays.SIX_YEARS,
    logs.RetentionDays.SEVEN_YEARS, logs.RetentionDays.EIGHT_YEARS, logs.RetentionDays.NINE_YEARS,
    logs.RetentionDays.TEN_YEARS,
), strict=True))  # fmt: skip


def front_door_props(config: PipelineConfig, backend: InferenceBackend, data_lake: DataLake) -> FrontDoorProps:
    """Map the ``serving.*`` front-door keys onto :class:`FrontDoorProps`."""
    s = config.serving
    return FrontDoorProps(
        backend=backend,
        data_lake=data_lake,
        auth=s.auth,
        user_pool_arn=s.existing_user_pool_arn,
        mfa=cognito.Mfa.REQUIRED if s.mfa == "required" else cognito.Mfa.OPTIONAL,
        throttle_rate=s.throttle_rate,
        throttle_burst=s.throttle_burst,
        quota_per_day=s.quota_per_day,
        cors_allowed_origins=tuple(s.cors_allowed_origins),
        waf_rate_limit=s.waf_rate_limit,
        waf_rate_window_seconds=s.waf_rate_window_seconds,
        lambda_memory_mb=s.lambda_memory_mb,
        lambda_timeout=cdk.Duration.seconds(s.lambda_timeout_seconds),
        model_read_timeout_seconds=s.model_read_timeout_seconds,
        reserved_concurrency=s.reserved_concurrency,
        max_prompt_chars=s.max_prompt_chars,
        interactions_prefix=config.sanitization.interactions_prefix,
        feedback_prefix=config.sanitization.feedback_prefix,
        log_retention=_RETENTION[s.log_retention_days],
        removal_policy=cdk.RemovalPolicy.RETAIN
        if config.data_lake.removal_policy == "retain"
        else cdk.RemovalPolicy.DESTROY,
        manage_account_logging_role=s.manage_api_gateway_account_role,
        domain_name=s.custom_domain_name,
        certificate_arn=s.custom_domain_certificate_arn,
        vpc=FrontDoorVpc(
            vpc_id=s.lambda_vpc_id,
            subnet_ids=tuple(s.lambda_subnet_ids),
            security_group_ids=tuple(s.lambda_security_group_ids),
        )
        if s.lambda_vpc_id
        else None,
    )
