"""Training stack: the Step Functions training pipeline (sanitize -> train -> evaluate -> gate -> register)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from constructs import Construct

from pipeline_stacks.config import ConfigError, PipelineConfig
from pipeline_stacks.constructs import ContinuousLearning, ContinuousLearningProps, DataLake
from pipeline_stacks.constructs.continuous_learning import SanitizationRunner
from pipeline_stacks.constructs.promotion import LiveModelParameter, LiveModelParameterProps
from pipeline_stacks.constructs.training import SanitizeTaskFactory, TrainingPipeline, TrainingPipelineProps


class TrainingStack(cdk.Stack):
    """Consumes the data stack's lake (and sanitization job); feeds the serving stack.

    ``sanitize_glue_job_name`` / ``sanitize_task_factory``: the data stack's sanitization job, run
    first when ``training.sanitize_before_training`` is true. ``sanitization``: the data stack's
    PiiSanitization, which the continuous-learning loop (``training.continuous_learning``) runs over
    new interactions before it retrains.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        data_lake: DataLake,
        sanitize_glue_job_name: str | None = None,
        sanitize_task_factory: SanitizeTaskFactory | None = None,
        sanitization: SanitizationRunner | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.data_lake = data_lake
        cfg = config.training
        if cfg.sanitize_before_training and not (sanitize_glue_job_name or sanitize_task_factory):
            raise ConfigError(
                "training.sanitize_before_training=true but the data stack provides no sanitization job; "
                "allowed: false, or deploy the data stack's PiiSanitization job"
            )
        sanitize = cfg.sanitize_before_training
        hyperparameters = {
            "epochs": repr(cfg.epochs),
            "max-steps": str(cfg.max_steps),
            "learning-rate": repr(cfg.learning_rate),
            "per-device-batch-size": str(cfg.per_device_batch_size),
            "gradient-accumulation-steps": str(cfg.gradient_accumulation_steps),
            "peft": "lora" if cfg.lora else "none",
            "bf16": cfg.bf16,
            "checkpoint-dir": "/opt/ml/checkpoints",
            **cfg.extra_hyperparameters,
        }
        prefix = f"{config.project_name}-{config.env_name}"
        #: The live model package ARN ("none" until the first promotion): written by the promotion workflow, read
        #: by the serving stack at deploy time and by the champion/challenger gate. Here because this stack
        #: deploys before serving and owns the package group.
        self.live_model: LiveModelParameter | None = None
        if config.promotion.enabled:
            self.live_model = LiveModelParameter(
                self,
                "LiveModel",
                props=LiveModelParameterProps(parameter_name=config.live_model_parameter_name),
            )
        self.pipeline = TrainingPipeline(
            self,
            "Pipeline",
            data_lake=data_lake,
            # same-named keys (instance_type, use_spot, train_prefix, quality_gate_*, schedule, ...) are copied
            props=cfg.to_props(
                TrainingPipelineProps,
                job_prefix=prefix[:24].rstrip("-"),
                region=config.region,
                hyperparameters=hyperparameters,
                higher_is_better=cfg.higher_is_better,
                model_package_group_name=config.model_package_group_name,
                live_model_parameter_name=config.live_model_parameter_name if cfg.champion_challenger else None,
                inference_instance_type=config.serving.instance_type,
                inference_server=config.serving.server,
                sanitize_task_factory=sanitize_task_factory if sanitize else None,
                sanitize_glue_job_name=sanitize_glue_job_name if sanitize and not sanitize_task_factory else None,
                timeout=cdk.Duration.hours(cfg.timeout_hours) if cfg.timeout_hours else None,
            ),
        )
        self.continuous_learning: ContinuousLearning | None = None
        if cfg.continuous_learning:
            if sanitization is None:
                raise ConfigError(
                    "training.continuous_learning=true needs the data stack's sanitization job; allowed: false"
                )
            self.continuous_learning = ContinuousLearning(
                self,
                "ContinuousLearning",
                data_lake=data_lake,
                sanitization=sanitization,
                training=self.pipeline,
                props=ContinuousLearningProps(
                    schedule=(
                        events.Schedule.expression(cfg.continuous_learning_schedule)
                        if cfg.continuous_learning_schedule
                        else None
                    ),
                    output_prefix=cfg.continuous_learning_output_prefix,
                    interactions_prefix=config.sanitization.interactions_prefix,
                    feedback_prefix=config.sanitization.feedback_prefix,
                ),
            )
        cdk.CfnOutput(self, "StateMachineArn", value=self.pipeline.state_machine.state_machine_arn)
        cdk.CfnOutput(self, "ModelPackageGroupName", value=self.pipeline.model_package_group_name)
