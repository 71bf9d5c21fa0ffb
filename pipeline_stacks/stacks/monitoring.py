"""Monitoring stack: alarms on every stage, the SNS topic, the dashboard, continuous learning."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.constructs import PipelineMonitoring, PipelineMonitoringProps
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
        cfg = config.monitoring
        self.monitoring = PipelineMonitoring(
            self,
            "Monitoring",
            props=PipelineMonitoringProps(
                alarm_email=cfg.alarm_email,
                thresholds=cfg.thresholds,
                dashboard_name=config.stack_name("pipeline"),
            ),
        )
        self.monitoring.monitor_sanitization(data.sanitization)
        kb = data.knowledge_base
        if kb is not None and kb.state_machine is not None:  # kendra: its connectors ingest, no state machine
            self.monitoring.monitor_knowledge_base(kb)
        self.monitoring.monitor_training(training.pipeline)
        self.monitoring.monitor_backend(serving.backend)
        self.monitoring.monitor_front_door(serving.front_door)
        if training.continuous_learning is not None:
            self.monitoring.alarm(
                "ContinuousLearningFailed",
                training.continuous_learning.metric_failed_runs(),
                threshold=1,
                description="The continuous-learning loop failed (sanitizing interactions or retraining).",
            )
        self.monitoring.add_alarm_overview()
