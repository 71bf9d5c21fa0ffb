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
        # same-named keys (instance_type, server, image_uri, max_batch_size, vpc_*_ids, ...) are copied
        props=s.to_props(
            ModelEndpointProps,
            endpoint_name=f"{config.project_name}-{config.env_name}-llm",
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
            serverless=(
                ServerlessSettings(memory_mb=s.serverless_memory_mb, max_concurrency=s.serverless_max_concurrency)
                if s.serverless_memory_mb
                else None
            ),
        ),
    )
