"""Compose the pipeline's stacks for one environment (used by ``app.py`` and the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk

from pipeline_stacks import compliance
from pipeline_stacks.config import PipelineConfig
from pipeline_stacks.stacks import DataStack, MonitoringStack, ServingStack, TrainingStack


@dataclass(frozen=True)
class Pipeline:
    """The stacks of one pipeline environment, in deployment order."""

    config: PipelineConfig
    data: DataStack
    training: TrainingStack
    serving: ServingStack
    monitoring: MonitoringStack

    @property
    def stacks(self) -> tuple[cdk.Stack, ...]:
        """Every stack, in dependency (deployment) order."""
        return (self.data, self.training, self.serving, self.monitoring)


def build_pipeline(app: cdk.App, config: PipelineConfig, *, compliance_checks: bool = True) -> Pipeline:
    """Create every stack of the pipeline in ``app`` and attach the compliance packs.

    Stack names carry the environment (``llm-pipeline-dev-data``); references only flow
    forward (data -> training -> serving -> monitoring). ``compliance_checks=False`` leaves the
    cdk-nag packs out (tests that only compare templates; never for a deployment).
    """
    env = cdk.Environment(account=config.account, region=config.region)
    common: dict[str, Any] = {"env": env, "termination_protection": config.is_production}

    data = DataStack(
        app,
        config.stack_name("data"),
        config=config,
        description=f"LLM pipeline ({config.env_name}): KMS key, S3 data lake, PII/PHI sanitization, knowledge base",
        **common,
    )
    training = TrainingStack(
        app,
        config.stack_name("training"),
        config=config,
        data_lake=data.data_lake,
        sanitize_task_factory=data.sanitization.start_run_task,
        sanitization=data.sanitization,
        description=f"LLM pipeline ({config.env_name}): training, evaluation, quality gate, model registry",
        **common,
    )
    serving = ServingStack(
        app,
        config.stack_name("serving"),
        config=config,
        data_lake=data.data_lake,
        knowledge_base=data.knowledge_base,
        description=f"LLM pipeline ({config.env_name}): model serving and the API front door",
        **common,
    )
    monitoring = MonitoringStack(
        app,
        config.stack_name("monitoring"),
        config=config,
        data=data,
        training=training,
        serving=serving,
        description=f"LLM pipeline ({config.env_name}): alarms, notifications, dashboard, continuous learning",
        **common,
    )
    pipeline = Pipeline(config=config, data=data, training=training, serving=serving, monitoring=monitoring)

    tags = {"project": config.project_name, "environment": config.env_name, **config.tags}
    for stack in pipeline.stacks:
        for key, value in tags.items():
            cdk.Tags.of(stack).add(key, value)
    if compliance_checks:
        compliance.add_compliance_checks(app)
    return pipeline
