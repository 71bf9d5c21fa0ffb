"""Serving stack: model endpoint (SageMaker) or Bedrock, behind the API front door."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.constructs import DataLake


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
