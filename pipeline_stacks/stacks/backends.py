"""The serving backends: ``serving.backend`` name -> the function that builds it from the config.

One mapping instead of string comparisons spread over the stacks. Adding a backend: a construct that
satisfies :class:`~pipeline_stacks.constructs.backend.InferenceBackend` (its ``backend_name`` is the
``BACKEND`` the front-door Lambda dispatches on), one ``@register("name")`` builder here, the name in
``ServingConfig.backend``'s ``Literal`` (plus any keys it needs), and its alarm rows in
``pipeline_stacks/alarms.py`` (``stage="backend:<name>"``). See CONTRIBUTING.md.

A backend that can take a new model by approval also registers a promotion builder (``@register_promotion``):
``promotion.enabled`` builds it next to the backend (only ``sagemaker`` does; Bedrock backends are untouched).
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from pipeline_stacks.config import ConfigError, PipelineConfig
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.bedrock import BedrockModel, BedrockModelProps
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.constructs.endpoint import (
    DeploymentGuardrails,
    ModelEndpoint,
    ModelEndpointProps,
    ServerlessSettings,
)
from pipeline_stacks.constructs.promotion import PromotionWorkflow, PromotionWorkflowProps, live_model_package_arn

__all__ = [
    "BACKENDS",
    "PROMOTIONS",
    "BackendBuilder",
    "PromotionBuilder",
    "build_backend",
    "build_promotion",
    "register",
    "register_promotion",
]

#: Builds the backend construct in ``scope`` from the validated config.
BackendBuilder = Callable[[Construct, PipelineConfig, DataLake], InferenceBackend]

#: ``serving.backend`` value -> builder.
BACKENDS: dict[str, BackendBuilder] = {}

#: Builds the promotion workflow of ``backend`` in ``scope`` (``promotion.enabled``).
PromotionBuilder = Callable[[Construct, PipelineConfig, InferenceBackend, DataLake], Construct]

#: ``serving.backend`` value -> promotion builder (backends that take a new model by approval).
PROMOTIONS: dict[str, PromotionBuilder] = {}


def register(name: str) -> Callable[[BackendBuilder], BackendBuilder]:
    """Register ``builder`` as the backend called ``name`` (the ``serving.backend`` value)."""

    def decorate(builder: BackendBuilder) -> BackendBuilder:
        BACKENDS[name] = builder
        return builder

    return decorate


def register_promotion(name: str) -> Callable[[PromotionBuilder], PromotionBuilder]:
    """Register ``builder`` as the promotion workflow of the backend called ``name``."""

    def decorate(builder: PromotionBuilder) -> PromotionBuilder:
        PROMOTIONS[name] = builder
        return builder

    return decorate


def build_promotion(
    scope: Construct, config: PipelineConfig, backend: InferenceBackend, data_lake: DataLake
) -> Construct:
    """The promotion workflow of the configured backend (``promotion.enabled``)."""
    try:
        builder = PROMOTIONS[config.serving.backend]
    except KeyError:
        raise ConfigError(
            f"promotion.enabled=true with serving.backend={config.serving.backend!r}; allowed backends: "
            f"{sorted(PROMOTIONS)}"
        ) from None
    return builder(scope, config, backend, data_lake)


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
            # promotion: the live package, read from the live-model parameter when the stack deploys ("none":
            # no model yet, the SageMaker resources are not created and the front door answers 503)
            **(
                {"model_package_arn": live_model_package_arn(scope, config.live_model_parameter_name)}
                if config.promotion.enabled
                else {}
            ),
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


@register_promotion("sagemaker")
def _sagemaker_promotion(
    scope: Construct, config: PipelineConfig, backend: InferenceBackend, data_lake: DataLake
) -> Construct:
    assert isinstance(backend, ModelEndpoint)
    return PromotionWorkflow(
        scope,
        "Promotion",
        key=data_lake.key,
        # the training stack owns the parameter (LiveModelParameter); imported by name, no cross-stack export
        parameter=ssm.StringParameter.from_string_parameter_name(
            scope, "LiveModelParameter", config.live_model_parameter_name
        ),
        endpoint_role=backend.role,
        rollback_alarm_names=(backend.latency_alarm.alarm_name, backend.errors_5xx_alarm.alarm_name),
        props=PromotionWorkflowProps(
            model_package_group_name=config.model_package_group_name,
            endpoint_name=backend.endpoint_name,
            deployment=backend.props.deployment,
        ),
    )
