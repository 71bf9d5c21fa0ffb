"""Reusable L3 constructs: the library platform teams import."""

from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.bedrock import BedrockModel, BedrockModelProps
from pipeline_stacks.constructs.continuous_learning import ContinuousLearning, ContinuousLearningProps
from pipeline_stacks.constructs.data_lake import BUCKET_ROLES, DataLake, DataLakeProps, LakeLifecycle, LakeReplication
from pipeline_stacks.constructs.delivery import (
    DeliveryPipeline,
    DeliveryPipelineProps,
    DeliveryStage,
    PipelineSource,
    SmokeTarget,
    SmokeTestAccess,
    SmokeTestAccessProps,
)
from pipeline_stacks.constructs.endpoint import (
    DeploymentGuardrails,
    ModelEndpoint,
    ModelEndpointProps,
    ServerlessSettings,
)
from pipeline_stacks.constructs.front_door import FrontDoor, FrontDoorProps, FrontDoorVpc
from pipeline_stacks.constructs.github_oidc import GitHubDeployRole, GitHubDeployRoleProps
from pipeline_stacks.constructs.knowledge_base import KnowledgeBase, KnowledgeBaseProps
from pipeline_stacks.constructs.monitoring import PipelineMonitoring, PipelineMonitoringProps
from pipeline_stacks.constructs.promotion import (
    LiveModelParameter,
    LiveModelParameterProps,
    PromotionWorkflow,
    PromotionWorkflowProps,
)
from pipeline_stacks.constructs.sanitization import PiiSanitization, PiiSanitizationProps, SanitizeOptions
from pipeline_stacks.constructs.training import TrainingPipeline, TrainingPipelineProps
from pipeline_stacks.constructs.web_app import WebApp, WebAppProps

__all__ = [
    "BUCKET_ROLES",
    "BedrockModel",
    "BedrockModelProps",
    "ContinuousLearning",
    "ContinuousLearningProps",
    "DataLake",
    "DataLakeProps",
    "DeliveryPipeline",
    "DeliveryPipelineProps",
    "DeliveryStage",
    "DeploymentGuardrails",
    "FrontDoor",
    "FrontDoorProps",
    "FrontDoorVpc",
    "GitHubDeployRole",
    "GitHubDeployRoleProps",
    "InferenceBackend",
    "KnowledgeBase",
    "KnowledgeBaseProps",
    "LakeLifecycle",
    "LakeReplication",
    "LiveModelParameter",
    "LiveModelParameterProps",
    "ModelEndpoint",
    "ModelEndpointProps",
    "PiiSanitization",
    "PiiSanitizationProps",
    "PipelineMonitoring",
    "PipelineMonitoringProps",
    "PipelineSource",
    "PromotionWorkflow",
    "PromotionWorkflowProps",
    "SanitizeOptions",
    "ServerlessSettings",
    "SmokeTarget",
    "SmokeTestAccess",
    "SmokeTestAccessProps",
    "TrainingPipeline",
    "TrainingPipelineProps",
    "WebApp",
    "WebAppProps",
]
