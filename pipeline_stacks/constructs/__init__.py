"""Reusable L3 constructs: the library platform teams import."""

from pipeline_stacks.constructs.data_lake import BUCKET_ROLES, DataLake, DataLakeProps, LakeLifecycle, LakeReplication
from pipeline_stacks.constructs.training import TrainingPipeline, TrainingPipelineProps

__all__ = [
    "BUCKET_ROLES",
    "DataLake",
    "DataLakeProps",
    "LakeLifecycle",
    "LakeReplication",
    "TrainingPipeline",
    "TrainingPipelineProps",
]
