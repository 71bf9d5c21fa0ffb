"""Compose the pipeline's stacks for one environment (used by ``app.py`` and the tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aws_cdk as cdk
from constructs import Construct

from pipeline_stacks import compliance
from pipeline_stacks.config import ConfigError, PipelineConfig, load_config, validate_config
from pipeline_stacks.constructs.delivery import (
    DeliveryPipelineProps,
    DeliveryStage,
    PipelineSource,
    SmokeTarget,
    SmokeTestAccessProps,
    smoke_role_name,
)
from pipeline_stacks.constructs.github_oidc import GitHubDeployRoleProps
from pipeline_stacks.stacks import DataStack, MonitoringStack, ServingStack, TrainingStack
from pipeline_stacks.stacks.delivery import DeliveryStack, DeliveryStackProps, GitHubDeployStack

S = TypeVar("S", bound=cdk.Stack)

#: The delivery pipeline's stages, in order: (environment in cdk.json, manual approval before it, smoke test after).
DELIVERY_STAGES: tuple[tuple[str, bool, bool], ...] = (("dev", False, True), ("prod", True, False))


@dataclass(frozen=True)
class Pipeline:
    """The stacks of one pipeline environment, in deployment order.

    ``delivery``: the delivery pipeline stack (``delivery.enabled``, built in an App only); ``github``: the GitHub
    Actions deploy-role stack (``delivery.github.enabled``).
    """

    config: PipelineConfig
    data: DataStack
    training: TrainingStack
    serving: ServingStack
    monitoring: MonitoringStack
    delivery: DeliveryStack | None = None
    github: GitHubDeployStack | None = None

    @property
    def stacks(self) -> tuple[cdk.Stack, ...]:
        """Every stack of the environment, in dependency (deployment) order."""
        return (self.data, self.training, self.serving, self.monitoring)

    @property
    def tooling_stacks(self) -> tuple[cdk.Stack, ...]:
        """The deploy tooling next to the environment: the delivery pipeline and/or the GitHub deploy role."""
        return tuple(s for s in (self.delivery, self.github) if s is not None)


def build_pipeline(
    scope: Construct,
    config: PipelineConfig,
    *,
    compliance_checks: bool = True,
    pipeline_account: str | None = None,
) -> Pipeline:
    """Create every stack of the pipeline in ``scope`` (an App, or a Stage of the delivery pipeline).

    Stack names carry the environment (``llm-pipeline-dev-data``), also inside a Stage, so that a pipeline and a
    hand ``cdk deploy`` manage the same CloudFormation stacks; references only flow forward (data -> training ->
    serving -> monitoring). In an App, ``delivery.enabled`` adds the delivery pipeline stack (its stages call this
    function again) and the cdk-nag packs are attached (``compliance_checks=False`` leaves them out: tests that
    only compare templates; never for a deployment). ``pipeline_account``: the delivery pipeline's account, trusted
    by the smoke-test role (default: ``config.account``).
    """
    env = cdk.Environment(account=config.account, region=config.region)

    def add_stack(cls: Callable[..., S], component: str, purpose: str, **collaborators: Any) -> S:
        """One stack of the environment, named (also in CloudFormation) ``<project>-<env>-<component>``."""
        name = config.stack_name(component)
        return cls(
            scope,
            name,
            stack_name=name,
            config=config,
            description=f"LLM pipeline ({config.env_name}): {purpose}",
            env=env,
            termination_protection=config.is_production,
            **collaborators,
        )

    data = add_stack(DataStack, "data", "KMS key, S3 data lake, PII/PHI sanitization, knowledge base")
    training = add_stack(
        TrainingStack,
        "training",
        "training, evaluation, quality gate, model registry",
        data_lake=data.data_lake,
        sanitize_task_factory=data.sanitization.start_run_task,
        sanitization=data.sanitization,
    )
    serving = add_stack(
        ServingStack,
        "serving",
        "model serving and the API front door",
        data_lake=data.data_lake,
        knowledge_base=data.knowledge_base,
        smoke_test=_smoke_test_props(config, pipeline_account) if config.delivery.enabled else None,
    )
    if training.live_model is not None:
        serving.add_stack_dependency(training, "serving reads the live-model parameter the training stack creates")
    monitoring = add_stack(
        MonitoringStack,
        "monitoring",
        "alarms, notifications, dashboard, continuous learning",
        data=data,
        training=training,
        serving=serving,
    )
    app = scope if isinstance(scope, cdk.App) else None  # inside a pipeline Stage: the environment's stacks only
    delivery = _delivery_stack(app, config) if app is not None and config.delivery.enabled else None
    github = _github_stack(app, config) if app is not None and config.delivery.github.enabled else None
    pipeline = Pipeline(
        config=config,
        data=data,
        training=training,
        serving=serving,
        monitoring=monitoring,
        delivery=delivery,
        github=github,
    )

    tags = {"project": config.project_name, "environment": config.env_name, **config.tags}
    for stack in (*pipeline.stacks, *pipeline.tooling_stacks):
        for key, value in tags.items():
            cdk.Tags.of(stack).add(key, value)
    if compliance_checks and app is not None:
        compliance.add_compliance_checks(app)
    return pipeline


def _smoke_test_props(config: PipelineConfig, pipeline_account: str | None) -> SmokeTestAccessProps:
    """The smoke-test role of ``config``'s environment, trusting the pipeline's smoke-test CodeBuild role."""
    return SmokeTestAccessProps(
        pipeline_account=pipeline_account or config.account or cdk.Aws.ACCOUNT_ID,
        smoke_role_name=smoke_role_name(config.delivery_pipeline_name, config.env_name),
        role_name=f"{config.project_name}-{config.env_name}-smoke-test",
        alarm_prefix=f"{config.project_name}-{config.env_name}",
        allow_no_model=config.delivery.smoke_allow_no_model,
    )


def stage_config(app: cdk.App, config: PipelineConfig, env_name: str) -> PipelineConfig:
    """The configuration the delivery pipeline deploys as stage ``env_name``: that environment of cdk.json (the
    current ``config`` itself for its own environment), in the stage's account (``delivery.accounts``) and the
    pipeline's region, with the pipeline's ``delivery`` settings (so its serving stack has the smoke-test role)."""
    if env_name == config.env_name:
        base = config
    else:
        try:
            base = load_config(app.node.try_get_context, env_name=env_name)
        except ConfigError as exc:
            raise ConfigError(f"delivery.enabled=true deploys the {env_name!r} environment: {exc}") from None
    raw = {
        **base.model_dump(exclude_unset=True),
        "env_name": base.env_name,
        "account": getattr(config.delivery.accounts, env_name, None) or config.account,
        "region": config.region,
        "delivery": config.delivery.model_dump(exclude_unset=True),
    }
    return validate_config(raw)


def _delivery_stack(app: cdk.App, config: PipelineConfig) -> DeliveryStack:
    d = config.delivery
    stages = []
    for name, approval, smoke in DELIVERY_STAGES:
        stage_cfg = stage_config(app, config, name)

        def build(stage: cdk.Stage, stage_cfg: PipelineConfig = stage_cfg) -> SmokeTarget | None:
            return build_pipeline(stage, stage_cfg, pipeline_account=config.account).serving.smoke_target

        stages.append(
            DeliveryStage(
                name=name,
                env=cdk.Environment(account=stage_cfg.account, region=stage_cfg.region),
                build=build,
                approval=approval,
                smoke_test=smoke,
            )
        )
    stack = DeliveryStack(
        app,
        config.delivery_pipeline_name,
        stack_name=config.delivery_pipeline_name,
        env=cdk.Environment(account=config.account, region=config.region),
        termination_protection=True,
        description=f"LLM pipeline: delivery pipeline (test, synth, deploy {' -> '.join(s.name for s in stages)})",
        props=DeliveryStackProps(
            source=PipelineSource(
                connection_arn=d.connection_arn, repository=d.repository, branch=d.branch, s3_object_key=d.s3_object_key
            ),
            stages=tuple(stages),
            pipeline=DeliveryPipelineProps(pipeline_name=config.delivery_pipeline_name, synth_env=config.env_name),
        ),
    )
    for spec in stages:
        if spec.smoke_test and spec.name not in stack.delivery.smoke_steps:
            cdk.Annotations.of(stack).add_info(
                f"No smoke test after stage {spec.name!r}: its serving.auth is not 'iam' (the canary needs a "
                "client-credentials scope the Cognito-authorized API does not offer yet). Use serving.auth='iam' "
                f"in {spec.name!r} to get the post-deploy canary.",
            )
    return stack


def _github_stack(app: cdk.App, config: PipelineConfig) -> GitHubDeployStack:
    g = config.delivery.github
    return GitHubDeployStack(
        app,
        config.stack_name("github"),
        stack_name=config.stack_name("github"),
        env=cdk.Environment(account=config.account, region=config.region),
        description=f"LLM pipeline ({config.env_name}): GitHub Actions OIDC deploy role (CDK bootstrap roles only)",
        props=GitHubDeployRoleProps(
            repository=str(g.repository or config.delivery.repository),
            branch=g.subject_branch,
            environment=g.environment,
            role_name=f"{config.project_name}-{config.env_name}-github-deploy",
            existing_provider_arn=g.existing_provider_arn,
        ),
    )
