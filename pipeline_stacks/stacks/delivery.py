"""Delivery stack: the CDK Pipelines delivery pipeline (and, with it, the stages it deploys).

Standalone: it takes props, never the app's config. The app decides the stages and what each builds::

    DeliveryStack(app, "llm-pipeline-delivery", env=tooling_env, props=DeliveryStackProps(
        source=PipelineSource(connection_arn=..., repository="acme/llm", branch="main"),
        stages=(DeliveryStage(name="dev", env=dev_env, build=build_dev),
                DeliveryStage(name="prod", env=prod_env, build=build_prod, approval=True, smoke_test=False)),
    ))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks.constructs.delivery import DeliveryPipeline, DeliveryPipelineProps, DeliveryStage, PipelineSource


@dataclass(frozen=True, kw_only=True)
class DeliveryStackProps:
    """The pipeline's source, its stages in order, and the pipeline's tunables."""

    source: PipelineSource
    stages: tuple[DeliveryStage, ...]
    pipeline: DeliveryPipelineProps = field(default_factory=DeliveryPipelineProps)


class DeliveryStack(cdk.Stack):
    """Holds :class:`DeliveryPipeline` (attribute ``delivery``); deploy it once by hand, it updates itself after."""

    def __init__(self, scope: Construct, construct_id: str, *, props: DeliveryStackProps, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.delivery = DeliveryPipeline(
            self, "Delivery", source=props.source, stages=props.stages, props=props.pipeline
        )
