"""Monitoring stack: alarms on every stage, the SNS topic, the dashboard, continuous learning."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.stacks.data import DataStack
from pipeline_stacks.stacks.serving import ServingStack
from pipeline_stacks.stacks.training import TrainingStack


class MonitoringStack(cdk.Stack):
    """Last in the flow: reads every other stack's metric hooks, nothing depends on it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        data: DataStack,
        training: TrainingStack,
        serving: ServingStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
