"""Reusable L3 constructs: the library platform teams import."""

from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.bedrock import BedrockModel, BedrockModelProps
from pipeline_stacks.constructs.front_door import FrontDoor, FrontDoorProps, FrontDoorVpc
from pipeline_stacks.constructs.data_lake import BUCKET_ROLES, DataLake, DataLakeProps, LakeLifecycle, LakeReplication
from pipeline_stacks.constructs.sanitization import PiiSanitization, PiiSanitizationProps, SanitizeOptions
from pipeline_stacks.constructs.endpoint import DeploymentGuardrails, ModelEndpoint, ModelEndpointProps, ServerlessSettings
from pipeline_stacks.constructs.training import TrainingPipeline, TrainingPipelineProps

__all__ = [
    "PiiSanitization",
    "PiiSanitizationProps",
    "SanitizeOptions",
    "BUCKET_ROLES",
    "BedrockModel",
    "BedrockModelProps",
    "DataLake",
    "DataLakeProps",
    "DeploymentGuardrails",
    "FrontDoor",
    "FrontDoorProps",
    "FrontDoorVpc",
    "InferenceBackend",
    "LakeLifecycle",
    "LakeReplication",
    "ModelEndpoint",
    "ModelEndpointProps",
    "ServerlessSettings",
    "TrainingPipeline",
    "TrainingPipelineProps",
]
