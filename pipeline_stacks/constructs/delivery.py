"""DeliveryPipeline: CDK Pipelines on CodePipeline that tests, synthesizes and deploys the app's stages.

Flow::

    Source (CodeConnections repo+branch, or a versioned S3 object) -> Build (``make test`` + ``make synth``)
      -> UpdatePipeline (self-mutation) -> Assets -> <stage 1, e.g. dev> -> SmokeTest
      -> [ManualApproval] -> <stage 2, e.g. prod> ...

Each :class:`DeliveryStage` names its environment (account/region: a different account deploys through that
account's CDK bootstrap trust, ``cdk bootstrap --trust <pipeline account>``) and a ``build`` callable that creates
the app's stacks inside the :class:`aws_cdk.Stage` it is given; the construct never imports the app's config.
``build`` returns a :class:`SmokeTarget` (usually ``SmokeTestAccess(...).target``) to get a post-deploy smoke test,
or ``None``.

Usage::

    DeliveryPipeline(self, "Delivery",
        source=PipelineSource(repository="acme/llm", branch="main", connection_arn=arn),
        stages=[DeliveryStage(name="dev", env=dev_env, build=build_dev),
                DeliveryStage(name="prod", env=prod_env, build=build_prod, approval=True, smoke_test=False)],
        props=DeliveryPipelineProps(pipeline_name="llm-delivery"))

Security: the artifact bucket is versioned, access-logged and encrypted with a customer-managed KMS key (rotation
on); the CodeBuild projects are unprivileged and log to a KMS-encrypted log group; the smoke test runs with its own
role that may only assume the target account's smoke-test role (:class:`SmokeTestAccess`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codepipeline_actions as cpactions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import Construct

from pipeline_stacks import compliance
from pipeline_stacks.iam import ManagedPolicyRole, cloudwatch_logs_key_statement
from pipeline_stacks.stepfunctions import object_created_rule

#: The script the smoke-test step runs (repository-relative).
SMOKE_TEST_SCRIPT = "tools/smoke_test.py"
SmokeAuth = Literal["iam", "cognito", "none"]


@dataclass(frozen=True, kw_only=True)
class SmokeTarget:
    """What the smoke test needs from a deployed stage: outputs read after the stage's stacks deployed.

    ``api_url`` (base URL, ``.../v1/chat/completions`` is appended), ``role_name`` (a role in the stage's account
    the smoke test assumes: :class:`SmokeTestAccess`), ``alarm_prefix`` (no alarm whose name starts with it may be
    in ALARM), ``auth`` and its outputs: ``api_key_id`` (API Gateway key whose value the test reads),
    ``user_pool_id``/``client_id``/``token_url``/``scope`` for Cognito client credentials.
    """

    api_url: cdk.CfnOutput
    role_name: str
    alarm_prefix: str
    auth: SmokeAuth = "iam"
    api_key_id: cdk.CfnOutput | None = None
    user_pool_id: cdk.CfnOutput | None = None
    client_id: cdk.CfnOutput | None = None
    token_url: cdk.CfnOutput | None = None
    scope: str | None = None
    allow_no_model: bool = False

    def __post_init__(self) -> None:
        if self.auth == "cognito" and not (self.user_pool_id and self.client_id and self.token_url and self.scope):
            raise ValueError("SmokeTarget(auth='cognito') needs user_pool_id, client_id, token_url and scope")

    def environment(self) -> tuple[dict[str, str], dict[str, cdk.CfnOutput]]:
        """(plain variables, variables read from stack outputs) of the smoke-test step."""
        plain = {"SMOKE_AUTH": self.auth, "SMOKE_ALARM_PREFIX": self.alarm_prefix}
        if self.scope:
            plain["SMOKE_SCOPE"] = self.scope
        if self.allow_no_model:
            plain["SMOKE_ALLOW_NO_MODEL"] = "1"
        outputs = {"SMOKE_API_URL": self.api_url}
        for name, output in (
            ("SMOKE_API_KEY_ID", self.api_key_id),
            ("SMOKE_USER_POOL_ID", self.user_pool_id),
            ("SMOKE_CLIENT_ID", self.client_id),
            ("SMOKE_TOKEN_URL", self.token_url),
        ):
            if output is not None:
                outputs[name] = output
        return plain, outputs


StageFactory = Callable[[cdk.Stage], SmokeTarget | None]


def smoke_role_name(pipeline_name: str, stage_name: str) -> str:
    """Name of the pipeline's smoke-test CodeBuild role for ``stage_name`` (what :class:`SmokeTestAccess`
    trusts); the same as :meth:`DeliveryPipeline.smoke_role_name`, for stacks built before the pipeline."""
    return f"{pipeline_name}-smoke-{stage_name}"[:64]


@dataclass(frozen=True, kw_only=True)
class DeliveryStage:
    """One deployment target: ``build(stage)`` creates the app's stacks in it.

    ``approval``: a manual approval gates this stage. ``smoke_test``: run the smoke test after it (when ``build``
    returns a :class:`SmokeTarget`).
    """

    name: str
    env: cdk.Environment
    build: StageFactory
    approval: bool = False
    smoke_test: bool = True

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,30}", self.name):
            raise ValueError(f"DeliveryStage.name={self.name!r}: a letter, then letters, digits, '-' (<= 31)")


@dataclass(frozen=True, kw_only=True)
class PipelineSource:
    """Where the pipeline gets the code: a CodeConnections repository (``connection_arn`` + ``repository``
    ``owner/name`` + ``branch``), or, without a connection, the ``s3_object_key`` zip in the pipeline's own source
    bucket (upload a ``git archive`` there: every new object version starts the pipeline)."""

    connection_arn: str | None = None
    repository: str | None = None
    branch: str = "main"
    s3_object_key: str = "source/source.zip"

    def __post_init__(self) -> None:
        if self.connection_arn and not self.repository:
            raise ValueError("PipelineSource: connection_arn needs repository ('owner/name')")
        if self.repository and not re.fullmatch(r"[\w.-]+/[\w./-]+", self.repository):
            raise ValueError(f"PipelineSource.repository={self.repository!r}: expected 'owner/name'")
        if self.connection_arn and not re.fullmatch(
            r"arn:aws[\w-]*:(codestar-connections|codeconnections):[\w-]+:\d{12}:connection/[\w-]+",
            self.connection_arn,
        ):
            raise ValueError(f"PipelineSource.connection_arn={self.connection_arn!r}: not a CodeConnections ARN")


@dataclass(frozen=True, kw_only=True)
class DeliveryPipelineProps:
    """Tunables of :class:`DeliveryPipeline`.

    ``synth_env``: the ``ENV`` of ``make synth`` (the app that contains this pipeline). ``install_commands`` /
    ``test_commands`` / ``synth_commands`` run in the synth step; the README's test command and ``make synth``
    by default.
    """

    pipeline_name: str = "llm-pipeline-delivery"
    synth_env: str = "prod"
    install_commands: tuple[str, ...] = ()
    test_commands: tuple[str, ...] = ("make test",)
    synth_commands: tuple[str, ...] = ()
    self_mutation: bool = True
    build_compute: codebuild.ComputeType = codebuild.ComputeType.MEDIUM
    build_timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(60))
    smoke_timeout: cdk.Duration = field(default_factory=lambda: cdk.Duration.minutes(15))
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9.@_-]{1,80}", self.pipeline_name):
            raise ValueError(f"DeliveryPipelineProps.pipeline_name={self.pipeline_name!r}: [A-Za-z0-9.@_-]{{1,80}}")
        if not re.fullmatch(r"[a-z0-9-]+", self.synth_env):
            raise ValueError(f"DeliveryPipelineProps.synth_env={self.synth_env!r}")

    @property
    def synth_step_commands(self) -> list[str]:
        """Every command of the synth step, in order."""
        synth = self.synth_commands or (f"make synth ENV={self.synth_env} CDK_OUT=cdk.out",)
        return [*self.install_commands, *self.test_commands, *synth]


class DeliveryPipeline(Construct):
    """The delivery pipeline. Attributes: ``pipeline`` (:class:`aws_cdk.pipelines.CodePipeline`, built),
    ``code_pipeline`` (the underlying :class:`aws_codepipeline.Pipeline`), ``artifact_key``, ``artifact_bucket``,
    ``access_logs_bucket``, ``source_bucket`` (S3 source only), ``source``, ``log_group``, ``stages`` (name ->
    :class:`aws_cdk.Stage`), ``smoke_roles`` (name -> role), ``smoke_steps`` (name -> step), ``cross_account``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: PipelineSource,
        stages: Sequence[DeliveryStage],
        props: DeliveryPipelineProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = p = props or DeliveryPipelineProps()
        if not stages:
            raise ValueError("DeliveryPipeline needs at least one stage")
        if len({s.name for s in stages}) != len(stages):
            raise ValueError("DeliveryPipeline: stage names must be unique")
        stack = cdk.Stack.of(self)
        self._account = stack.account
        for spec in stages:
            if (
                spec.env.region is not None
                and not cdk.Token.is_unresolved(stack.region)
                and spec.env.region != stack.region
            ):
                raise ValueError(
                    f"DeliveryStage {spec.name!r} is in {spec.env.region}, the pipeline in {stack.region}: deploy the "
                    "pipeline stack to the stages' region (cross-region replication buckets are not set up)"
                )
        #: True when a stage deploys to another account (through that account's CDK bootstrap trust). The artifacts
        #: are always encrypted with this construct's CMK (what ``crossAccountKeys`` would create); CDK adds the
        #: target accounts' bootstrap deploy roles to its key and bucket policies.
        self.cross_account = any(s.env.account not in (None, stack.account) for s in stages)

        self.artifact_key = kms.Key(
            self,
            "ArtifactKey",
            description=f"{p.pipeline_name}: pipeline artifacts, build logs",
            enable_key_rotation=True,
            removal_policy=p.removal_policy,
        )
        self.artifact_key.add_to_resource_policy(
            cloudwatch_logs_key_statement(stack, "AllowBuildLogGroupsOfThisAccount")
        )
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # S3 log delivery supports only SSE-S3 targets
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=p.removal_policy,
            lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(365))],
        )
        compliance.acknowledge(self.access_logs_bucket, "DeliveryPipeline.access_logs_bucket")
        self.artifact_bucket = self._bucket("Artifacts")
        self.source_bucket: s3.Bucket | None = None
        self.log_group = logs.LogGroup(
            self,
            "BuildLogs",
            encryption_key=self.artifact_key,
            retention=p.log_retention,
            removal_policy=p.removal_policy,
        )

        self.source = self._source(source)
        synth = pipelines.CodeBuildStep(
            "Build",
            input=self.source,
            install_commands=[],
            commands=p.synth_step_commands,
            primary_output_directory="cdk.out",
            partial_build_spec=codebuild.BuildSpec.from_object(
                {"phases": {"install": {"runtime-versions": {"python": "3.11", "nodejs": "20"}}}}
            ),
            timeout=p.build_timeout,
            role=ManagedPolicyRole(
                self,
                "BuildRole",
                assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
                description=f"{p.pipeline_name}: test + synth (no AWS access beyond its artifacts and logs)",
            ),
        )
        self.pipeline_role = ManagedPolicyRole(
            self,
            "PipelineRole",
            assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
            description=f"{p.pipeline_name}: CodePipeline service role",
        )
        code_pipeline = codepipeline.Pipeline(
            self,
            "CodePipeline",
            pipeline_name=p.pipeline_name,
            pipeline_type=codepipeline.PipelineType.V2,
            artifact_bucket=self.artifact_bucket,
            role=self.pipeline_role,
            restart_execution_on_update=True,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            code_pipeline=code_pipeline,
            synth=synth,
            self_mutation=p.self_mutation,
            publish_assets_in_parallel=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(
                    build_image=codebuild.LinuxBuildImage.STANDARD_7_0,
                    compute_type=p.build_compute,
                    privileged=False,
                ),
                logging=codebuild.LoggingOptions(
                    cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.log_group)
                ),
            ),
        )
        self.stages: dict[str, cdk.Stage] = {}
        self.smoke_roles: dict[str, iam.Role] = {}
        self.smoke_steps: dict[str, pipelines.CodeBuildStep] = {}
        for spec in stages:
            self._add_stage(spec)
        self.pipeline.build_pipeline()
        self.code_pipeline = code_pipeline
        self._role_arns_as_sub()
        self._acknowledge_generated()

    # ------------------------------------------------------------------ stages

    def _add_stage(self, spec: DeliveryStage) -> None:
        stage = cdk.Stage(self, f"Stage-{spec.name}", env=spec.env, stage_name=spec.name)
        target = spec.build(stage)
        self.stages[spec.name] = stage
        pre: list[pipelines.Step] = []
        if spec.approval:
            pre.append(pipelines.ManualApprovalStep(f"Approve-{spec.name}", comment=f"Deploy to {spec.name}?"))
        post: list[pipelines.Step] = []
        if spec.smoke_test and target is not None:
            post.append(self._smoke_step(spec, target))
        self.pipeline.add_stage(stage, pre=pre, post=post)

    def _smoke_step(self, spec: DeliveryStage, target: SmokeTarget) -> pipelines.CodeBuildStep:
        p = self.props
        account = spec.env.account or self._account
        region = spec.env.region or cdk.Stack.of(self).region
        role_name = self.smoke_role_name(spec.name)
        role = ManagedPolicyRole(
            self,
            f"SmokeRole-{spec.name}",
            role_name=role_name,
            assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
            description=f"{p.pipeline_name}: smoke test of {spec.name} (assumes the stage's smoke-test role only)",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeStageSmokeRole",
                actions=["sts:AssumeRole"],
                resources=[f"arn:{cdk.Aws.PARTITION}:iam::{account}:role/{target.role_name}"],
            )
        )
        plain, outputs = target.environment()
        step = pipelines.CodeBuildStep(
            f"SmokeTest-{spec.name}",
            input=self.source,
            commands=[
                "python -m pip install --quiet --disable-pip-version-check 'boto3>=1.34'",
                f"python {SMOKE_TEST_SCRIPT}",
            ],
            env={
                **plain,
                "SMOKE_ROLE_ARN": f"arn:{cdk.Aws.PARTITION}:iam::{account}:role/{target.role_name}",
                "SMOKE_REGION": region,
                "SMOKE_STAGE": spec.name,
            },
            env_from_cfn_outputs=outputs,
            role=role,
            timeout=p.smoke_timeout,
        )
        self.smoke_roles[spec.name] = role
        self.smoke_steps[spec.name] = step
        return step

    def _role_arns_as_sub(self) -> None:
        """CDK Pipelines renders the deploy actions' CloudFormation execution-role ARNs as ``Fn::Join`` with an empty
        delimiter, which cfn-lint rejects (E3703); the same ARN as ``Fn::Sub``."""
        cfn = self.code_pipeline.node.default_child
        assert isinstance(cfn, codepipeline.CfnPipeline)
        stack = cdk.Stack.of(self)
        for i, stage in enumerate(stack.resolve(cfn.stages)):
            for j, action in enumerate(stage.get("actions", [])):
                role = (action.get("configuration") or {}).get("RoleArn")
                if isinstance(role, dict) and "Fn::Join" in role and role["Fn::Join"][0] == "":
                    parts = role["Fn::Join"][1]
                    # literals and pseudo parameters (AWS::Partition; AWS::AccountId / AWS::Region when env-agnostic)
                    if all(isinstance(x, str) or _pseudo(x) for x in parts):
                        text = "".join(x if isinstance(x, str) else f"${{{x['Ref']}}}" for x in parts)
                        cfn.add_property_override(f"Stages.{i}.Actions.{j}.Configuration.RoleArn", {"Fn::Sub": text})

    def smoke_role_name(self, stage_name: str) -> str:
        """Name of the smoke-test CodeBuild role for ``stage_name`` (what :class:`SmokeTestAccess` trusts)."""
        return smoke_role_name(self.props.pipeline_name, stage_name)

    # ------------------------------------------------------------------ source

    def _source(self, source: PipelineSource) -> pipelines.CodePipelineSource:
        if source.connection_arn and source.repository:
            return pipelines.CodePipelineSource.connection(
                source.repository,
                source.branch,
                connection_arn=source.connection_arn,
                trigger_on_push=True,
                code_build_clone_output=False,
            )
        self.source_bucket = self._bucket("Source", event_bridge=True)
        src = pipelines.CodePipelineSource.s3(
            self.source_bucket, source.s3_object_key, trigger=cpactions.S3Trigger.NONE, action_name="Source"
        )
        self._s3_source_key = source.s3_object_key
        return src

    def _bucket(self, construct_id: str, *, event_bridge: bool = False) -> s3.Bucket:
        p = self.props
        bucket = s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.artifact_key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=f"{construct_id.lower()}/",
            removal_policy=p.removal_policy,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(90))],
        )
        if event_bridge:
            # L1 switch: the L2 flag deploys a notifications custom-resource Lambda (same as the data lake).
            cfn = bucket.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
            )
        compliance.acknowledge(bucket, "DeliveryPipeline.bucket")
        return bucket

    def _acknowledge_generated(self) -> None:
        """Acknowledge what CDK Pipelines generates (roles, CodeBuild projects), and start on S3 uploads."""
        if self.source_bucket is not None:
            object_created_rule(
                self,
                "OnSourceUpload",
                role_id="SourceTriggerRole",
                role_description=f"{self.props.pipeline_name}: start the pipeline on a new source object",
                description="A new version of the source zip starts the delivery pipeline",
                detail={
                    "bucket": {"name": [self.source_bucket.bucket_name]},
                    "object": {"key": [self._s3_source_key]},
                },
                target=lambda role: targets.CodePipeline(self.code_pipeline, event_role=role),
            )
        compliance.acknowledge_matching(self, "DeliveryPipeline.role_wildcards", compliance.PIPELINE_WILDCARD_FINDINGS)
        for child in _own_constructs(self):
            if isinstance(child, codebuild.CfnProject):
                compliance.acknowledge(child, "DeliveryPipeline.build_project")
            if isinstance(child, iam.CfnPolicy):  # inline DefaultPolicy of a role CDK Pipelines created
                compliance.acknowledge(child, "DeliveryPipeline.generated_role")


def _pseudo(value: object) -> bool:
    """``{"Ref": "AWS::..."}``: a pseudo parameter."""
    return isinstance(value, dict) and list(value) == ["Ref"] and str(value["Ref"]).startswith("AWS::")


def _own_constructs(scope: Construct) -> list[Construct]:
    """``scope``'s descendants in its own stack: the Stages it deploys (the app's stacks) are left out."""
    out: list[Construct] = []
    for child in scope.node.children:
        if isinstance(child, cdk.Stage):
            continue
        out.append(child)  # type: ignore[arg-type]
        out.extend(_own_constructs(child))  # type: ignore[arg-type]
    return out


# ---------------------------------------------------------------------------------------------- smoke-test access


@dataclass(frozen=True, kw_only=True)
class SmokeTestAccessProps:
    """``pipeline_account``: the account the pipeline (and its smoke-test CodeBuild role) lives in;
    ``smoke_role_name``: that CodeBuild role's name (:meth:`DeliveryPipeline.smoke_role_name`);
    ``role_name``: the role created here; ``alarm_prefix``: alarms the smoke test checks; ``scope``: the Cognito
    resource-server scope the client-credentials token asks for."""

    pipeline_account: str
    smoke_role_name: str
    role_name: str
    alarm_prefix: str
    stage_name: str = "prod"
    scope: str | None = None
    allow_no_model: bool = False


class SmokeTestAccess(Construct):
    """In a deployed stage: a role the pipeline's smoke test assumes, limited to one canary call and alarm reads.

    ``auth='iam'``: ``execute-api:Invoke`` on ``POST /v1/chat/completions`` of ``api``; ``auth='cognito'``: read
    the ``client``'s secret (DescribeUserPoolClient) for a client-credentials token. Both: read ``api_key``'s value
    and ``cloudwatch:DescribeAlarms``. Attributes: ``role``, ``target`` (a :class:`SmokeTarget`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigateway.IRestApi,
        api_url: str,
        auth: SmokeAuth,
        props: SmokeTestAccessProps,
        api_key: apigateway.IApiKey | None = None,
        user_pool: cognito.IUserPool | None = None,
        client: cognito.IUserPoolClient | None = None,
        token_url: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        principal = f"arn:{cdk.Aws.PARTITION}:iam::{props.pipeline_account}:role/{props.smoke_role_name}"
        self.role = ManagedPolicyRole(
            self,
            "Role",
            role_name=props.role_name,
            assumed_by=iam.AccountPrincipal(props.pipeline_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": principal}}
            ),
            description="Delivery pipeline smoke test: one canary chat completion and alarm state reads",
            max_session_duration=cdk.Duration.hours(1),
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadAlarmStates",
                actions=["cloudwatch:DescribeAlarms"],
                resources=[
                    stack.format_arn(
                        service="cloudwatch",
                        resource="alarm",
                        resource_name=f"{props.alarm_prefix}*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                ],
            )
        )
        if auth == "iam":
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="CanaryCompletion",
                    actions=["execute-api:Invoke"],
                    resources=[api.arn_for_execute_api("POST", "/v1/chat/completions", props.stage_name)],
                )
            )
        if api_key is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadApiKey",
                    actions=["apigateway:GET"],
                    resources=[f"arn:{cdk.Aws.PARTITION}:apigateway:{stack.region}::/apikeys/{api_key.key_id}"],
                )
            )
        if auth == "cognito":
            if user_pool is None or client is None or token_url is None or props.scope is None:
                raise ValueError("SmokeTestAccess(auth='cognito') needs user_pool, client, token_url and props.scope")
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadClientSecret",
                    actions=["cognito-idp:DescribeUserPoolClient"],
                    resources=[user_pool.user_pool_arn],
                )
            )
        compliance.acknowledge_resources(
            self.role,
            "SmokeTestAccess.role",
            [
                stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name=f"{props.alarm_prefix}*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )

        def output(name: str, value: str, description: str) -> cdk.CfnOutput:
            return cdk.CfnOutput(self, name, value=value, description=description)

        self.target = SmokeTarget(
            api_url=output("ApiUrl", api_url, "Base URL of the chat API (smoke test)"),
            role_name=props.role_name,
            alarm_prefix=props.alarm_prefix,
            auth=auth,
            api_key_id=output("ApiKeyId", api_key.key_id, "API key id (smoke test)") if api_key else None,
            user_pool_id=output("UserPoolId", user_pool.user_pool_id, "User pool (smoke test)")
            if auth == "cognito" and user_pool
            else None,
            client_id=output("ClientId", client.user_pool_client_id, "Client-credentials app client (smoke test)")
            if auth == "cognito" and client
            else None,
            token_url=output("TokenUrl", token_url, "OAuth2 token endpoint (smoke test)")
            if auth == "cognito" and token_url
            else None,
            scope=props.scope,
            allow_no_model=props.allow_no_model,
        )


__all__ = [
    "DeliveryPipeline",
    "DeliveryPipelineProps",
    "DeliveryStage",
    "PipelineSource",
    "SmokeTarget",
    "SmokeTestAccess",
    "SmokeTestAccessProps",
    "StageFactory",
    "smoke_role_name",
]
