"""Serving stack: model endpoint (SageMaker) or Bedrock, behind the API front door."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.constructs import DataLake
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.bedrock import BedrockModel, BedrockModelProps
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
            data_capture_percent=0 if (s.scale_to_zero or s.serverless_memory_mb) else s.data_capture_percent,
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
