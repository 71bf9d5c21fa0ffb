"""The serving backends: ``serving.backend`` name -> the function that builds it from the config.

One mapping instead of string comparisons spread over the stacks. Adding a backend: a construct that
satisfies :class:`~pipeline_stacks.constructs.backend.InferenceBackend` (its ``backend_name`` is the
``BACKEND`` the front-door Lambda dispatches on), one ``@register("name")`` builder here, the name in
``ServingConfig.backend``'s ``Literal`` (plus any keys it needs), and its alarm rows in
``pipeline_stacks/alarms.py`` (``stage="backend:<name>"``). See CONTRIBUTING.md.
"""

from __future__ import annotations

from collections.abc import Callable

from constructs import Construct

from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.bedrock import BedrockModel, BedrockModelProps
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.constructs.endpoint import (
    DeploymentGuardrails,
    ModelEndpoint,
    ModelEndpointProps,
    ServerlessSettings,
)

__all__ = ["BACKENDS", "BackendBuilder", "build_backend", "register"]

#: Builds the backend construct in ``scope`` from the validated config.
BackendBuilder = Callable[[Construct, PipelineConfig, DataLake], InferenceBackend]

#: ``serving.backend`` value -> builder.
BACKENDS: dict[str, BackendBuilder] = {}


def register(name: str) -> Callable[[BackendBuilder], BackendBuilder]:
    """Register ``builder`` as the backend called ``name`` (the ``serving.backend`` value)."""

    def decorate(builder: BackendBuilder) -> BackendBuilder:
        BACKENDS[name] = builder
        return builder

    return decorate


def build_backend(scope: Construct, config: PipelineConfig, data_lake: DataLake) -> InferenceBackend:
    """The model backend chosen by ``serving.backend``."""
    try:
        builder = BACKENDS[config.serving.backend]
    except KeyError:
        raise ValueError(f"serving.backend={config.serving.backend!r}; allowed: {sorted(BACKENDS)}") from None
    return builder(scope, config, data_lake)


@register("bedrock")
def _bedrock(scope: Construct, config: PipelineConfig, data_lake: DataLake) -> InferenceBackend:
    s = config.serving
    return BedrockModel(
        scope,
        "Bedrock",
        props=BedrockModelProps(
            model_id=s.bedrock_model_id,
            guardrail=s.bedrock_guardrail,
            guardrail_name=f"{config.project_name}-{config.env_name}-guardrail",
            profile_regions=tuple(s.bedrock_profile_regions),
        ),
        key=data_lake.key,
    )


@register("sagemaker")
def _sagemaker(scope: Construct, config: PipelineConfig, data_lake: DataLake) -> InferenceBackend:
    s = config.serving
    return ModelEndpoint(
        scope,
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
