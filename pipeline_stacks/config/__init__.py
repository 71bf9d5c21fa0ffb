"""Typed, validated pipeline configuration.

One :class:`PipelineConfig` per deployment environment, assembled from three layers
(later layers win):

1. the defaults declared on the models below;
2. the named environment in ``cdk.json`` context (``llm-pipeline:environments`` -> ``dev`` / ``prod`` / ...),
   chosen with ``-c env=NAME`` (default ``dev``);
3. per-key overrides on the command line with dotted keys, e.g. ``-c data_lake.removal_policy=destroy``.

Everything is validated before any construct is created. A bad value raises :class:`ConfigError`
whose message names the key, the offending value and what is allowed, so a mistake fails at
``cdk synth`` and never as a CloudFormation rollback.

One module per section: ``data_lake``, ``sanitization``, ``training``, ``serving`` (assembled from
``serving_sagemaker``, ``serving_bedrock`` and ``front_door``), ``monitoring``, ``rag``, ``web``,
``promotion``, ``delivery``; ``pipeline`` holds the root model and ``loading`` the layering. Constructs never
import this package: the stacks map config to construct props.
"""

from pipeline_stacks.alarms import AlarmThresholds
from pipeline_stacks.config._base import (
    API_GATEWAY_INTEGRATION_TIMEOUT_S,
    AWS_REGIONS,
    DEFAULT_ENV,
    ENV_SELECTOR_KEY,
    ENVIRONMENTS_CONTEXT_KEY,
    LOG_RETENTION_DAYS,
    PII_ENTITY_TYPES,
    BucketRole,
    ConfigError,
    SecurityGroupId,
    SubnetId,
)
from pipeline_stacks.config.data_lake import DataLakeConfig, ReplicationConfig
from pipeline_stacks.config.delivery import DeliveryAccounts, DeliveryConfig, GitHubDeployConfig
from pipeline_stacks.config.front_door import FrontDoorSettings
from pipeline_stacks.config.loading import ContextGetter, load_config, validate_config
from pipeline_stacks.config.monitoring import AlarmThresholdsConfig, MonitoringConfig
from pipeline_stacks.config.pipeline import PipelineConfig
from pipeline_stacks.config.promotion import PromotionConfig
from pipeline_stacks.config.rag import RAG_VECTOR_STORES, ChunkingConfig, RagConfig
from pipeline_stacks.config.sanitization import SanitizationConfig
from pipeline_stacks.config.serving import ServingConfig
from pipeline_stacks.config.serving_bedrock import BedrockServing
from pipeline_stacks.config.serving_sagemaker import (
    MODEL_PACKAGE_PATTERN,
    SERVING_INSTANCE_PATTERN,
    SageMakerServing,
)
from pipeline_stacks.config.training import (
    GPU_TRAINING_INSTANCE_PATTERN,
    QUALITY_GATE_DIRECTIONS,
    RESERVED_HYPERPARAMETERS,
    TRAINIUM_TRAINING_INSTANCES,
    TrainingConfig,
)
from pipeline_stacks.config.web import WebConfig
from pipeline_stacks.validation import BEDROCK_MODEL_ID_PATTERN, BEDROCK_PROFILE_SOURCE_PREFIXES

__all__ = [
    "API_GATEWAY_INTEGRATION_TIMEOUT_S",
    "AWS_REGIONS",
    "BEDROCK_MODEL_ID_PATTERN",
    "BEDROCK_PROFILE_SOURCE_PREFIXES",
    "DEFAULT_ENV",
    "ENVIRONMENTS_CONTEXT_KEY",
    "ENV_SELECTOR_KEY",
    "GPU_TRAINING_INSTANCE_PATTERN",
    "LOG_RETENTION_DAYS",
    "MODEL_PACKAGE_PATTERN",
    "PII_ENTITY_TYPES",
    "QUALITY_GATE_DIRECTIONS",
    "RAG_VECTOR_STORES",
    "RESERVED_HYPERPARAMETERS",
    "SERVING_INSTANCE_PATTERN",
    "TRAINIUM_TRAINING_INSTANCES",
    "AlarmThresholds",
    "AlarmThresholdsConfig",
    "BedrockServing",
    "BucketRole",
    "ChunkingConfig",
    "ConfigError",
    "ContextGetter",
    "DataLakeConfig",
    "DeliveryAccounts",
    "DeliveryConfig",
    "FrontDoorSettings",
    "GitHubDeployConfig",
    "MonitoringConfig",
    "PipelineConfig",
    "PromotionConfig",
    "RagConfig",
    "ReplicationConfig",
    "SageMakerServing",
    "SanitizationConfig",
    "SecurityGroupId",
    "ServingConfig",
    "SubnetId",
    "TrainingConfig",
    "WebConfig",
    "load_config",
    "validate_config",
]
