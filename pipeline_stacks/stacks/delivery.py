"""Delivery stacks: the CDK Pipelines delivery pipeline (and, with it, the stages it deploys); the GitHub Actions
deploy role (the alternative).

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
from pipeline_stacks.constructs.github_oidc import GitHubDeployRole, GitHubDeployRoleProps


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
        if self.delivery.source_bucket is not None:
            cdk.CfnOutput(
                self,
                "SourceBucketName",
                value=self.delivery.source_bucket.bucket_name,
                description=f"Upload `git archive -o source.zip HEAD` as {props.source.s3_object_key} to start a run",
            )


class GitHubDeployStack(cdk.Stack):
    """Holds :class:`GitHubDeployRole` (attribute ``github``): GitHub Actions deploys with OIDC, no AWS keys."""

    def __init__(self, scope: Construct, construct_id: str, *, props: GitHubDeployRoleProps, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.github = GitHubDeployRole(self, "GitHub", props=props)
        cdk.CfnOutput(self, "DeployRoleArn", value=self.github.role.role_arn, description="AWS_DEPLOY_ROLE_ARN")
