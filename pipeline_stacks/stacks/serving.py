"""Serving stack: model endpoint (SageMaker) or Bedrock, behind the API front door.

With ``promotion.enabled`` the endpoint serves the live package recorded in the live-model SSM parameter (read at
deploy time) and the promotion workflow deploys newly approved packages; with a delivery pipeline
(``delivery.enabled``) a smoke-test role lets the pipeline's post-deploy test call the API and read the alarms.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from pipeline_contract import FrontDoorEnv
from pipeline_stacks.config import LOG_RETENTION_DAYS, PipelineConfig
from pipeline_stacks.constructs import DataLake, KnowledgeBase
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.delivery import SmokeTarget, SmokeTestAccess, SmokeTestAccessProps
from pipeline_stacks.constructs.front_door import FrontDoor, FrontDoorProps, FrontDoorVpc
from pipeline_stacks.stacks.backends import build_backend, build_promotion


class ServingStack(cdk.Stack):
    """Consumes the lake (artifacts, interactions), the training stack's model registry and, when ``rag.enabled``,
    the data stack's knowledge base (the front door may retrieve from it).

    ``smoke_test``: the delivery pipeline's smoke-test trust (its account and CodeBuild role); creates
    :class:`SmokeTestAccess` (``serving.auth='iam'``), whose ``target`` is ``smoke_target``. Attributes:
    ``backend``, ``front_door``, ``promotion`` (``promotion.enabled``), ``smoke_access``, ``smoke_target``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        data_lake: DataLake,
        knowledge_base: KnowledgeBase | None = None,
        smoke_test: SmokeTestAccessProps | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.data_lake = data_lake

        # backend: what serves the model (serving.backend); the front door only sees InferenceBackend
        self.backend: InferenceBackend = build_backend(self, config, data_lake)

        # front door: API Gateway + WAF + auth + usage plan + the handler Lambda, in front of the backend
        self.front_door = FrontDoor(
            self,
            "FrontDoor",
            backend=self.backend,
            data_lake=data_lake,
            props=front_door_props(config),
            function_overrides=retrieval_overrides(config, knowledge_base),
        )
        if knowledge_base is not None:
            knowledge_base.grant_retrieve(self.front_door.function)

        # promotion: approving a package deploys it (canary + alarm rollback) and records it as the live model
        self.promotion: Construct | None = (
            build_promotion(self, config, self.backend, data_lake) if config.promotion.enabled else None
        )

        # delivery: the pipeline's smoke test may call POST /v1/chat/completions once and read the alarm states
        self.smoke_access: SmokeTestAccess | None = None
        self.smoke_target: SmokeTarget | None = None
        if smoke_test is not None and config.serving.auth == "iam":
            # (auth=cognito: the test needs a client-credentials scope the API accepts; the front door has none yet)
            s = config.serving
            self.smoke_access = SmokeTestAccess(
                self,
                "SmokeTest",
                api=self.front_door.api,
                api_url=f"https://{s.custom_domain_name}/" if s.custom_domain_name else self.front_door.api.url,
                auth="iam",
                api_key=self.front_door.api_key,
                props=dataclasses.replace(smoke_test, stage_name=self.front_door.props.stage_name),
            )
            self.smoke_target = self.smoke_access.target


#: CloudWatch retention enum members, in the order of config.LOG_RETENTION_DAYS.
_RETENTION = dict(zip(LOG_RETENTION_DAYS, (
    logs.RetentionDays.ONE_DAY, logs.RetentionDays.THREE_DAYS, logs.RetentionDays.FIVE_DAYS,
    logs.RetentionDays.ONE_WEEK, logs.RetentionDays.TWO_WEEKS, logs.RetentionDays.ONE_MONTH,
    logs.RetentionDays.TWO_MONTHS, logs.RetentionDays.THREE_MONTHS, logs.RetentionDays.FOUR_MONTHS,
    logs.RetentionDays.FIVE_MONTHS, logs.RetentionDays.SIX_MONTHS, logs.RetentionDays.ONE_YEAR,
    logs.RetentionDays.THIRTEEN_MONTHS, logs.RetentionDays.EIGHTEEN_MONTHS, logs.RetentionDays.TWO_YEARS,
    logs.RetentionDays.THREE_YEARS, logs.RetentionDays.FIVE_YEARS, logs.RetentionDays.SIX_YEARS,
    logs.RetentionDays.SEVEN_YEARS, logs.RetentionDays.EIGHT_YEARS, logs.RetentionDays.NINE_YEARS,
    logs.RetentionDays.TEN_YEARS,
), strict=True))  # fmt: skip


def front_door_props(config: PipelineConfig) -> FrontDoorProps:
    """Map the ``serving.*`` front-door keys onto :class:`FrontDoorProps`.

    Keys named like a props field (``throttle_rate``, ``waf_rate_limit``, ``max_prompt_chars``, ...) are copied
    by :meth:`to_props`; only the keys whose name or type differs are mapped here.
    """
    s = config.serving
    return s.to_props(
        FrontDoorProps,
        user_pool_arn=s.existing_user_pool_arn,
        mfa=cognito.Mfa.REQUIRED if s.mfa == "required" else cognito.Mfa.OPTIONAL,
        lambda_timeout=cdk.Duration.seconds(s.lambda_timeout_seconds),
        interactions_prefix=config.sanitization.interactions_prefix,
        feedback_prefix=config.sanitization.feedback_prefix,
        log_retention=_RETENTION[s.log_retention_days],
        removal_policy=cdk.RemovalPolicy.RETAIN
        if config.data_lake.removal_policy == "retain"
        else cdk.RemovalPolicy.DESTROY,
        manage_account_logging_role=s.manage_api_gateway_account_role,
        domain_name=s.custom_domain_name,
        certificate_arn=s.custom_domain_certificate_arn,
        vpc=FrontDoorVpc(
            vpc_id=s.lambda_vpc_id,
            subnet_ids=tuple(s.lambda_subnet_ids),
            security_group_ids=tuple(s.lambda_security_group_ids),
        )
        if s.lambda_vpc_id
        else None,
    )


def retrieval_overrides(config: PipelineConfig, knowledge_base: KnowledgeBase | None) -> lambda_.FunctionOptions | None:
    """The front-door Lambda's retrieval settings (``pipeline_contract.FrontDoorEnv``): the knowledge base id and the
    ``rag.default_on``/``rag.top_k`` request defaults, merged into its environment (None without a knowledge base:
    the chat app then answers without retrieval)."""
    if knowledge_base is None:
        return None
    return lambda_.FunctionOptions(
        environment={
            FrontDoorEnv.KNOWLEDGE_BASE_ID: knowledge_base.knowledge_base_id,
            FrontDoorEnv.RAG_DEFAULT_ON: "true" if config.rag.default_on else "false",
            FrontDoorEnv.RAG_TOP_K: str(config.rag.top_k),
        }
    )
