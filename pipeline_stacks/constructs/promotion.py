"""Model promotion by approval: approving a package in the registry rolls it onto the endpoint, canary first.

Flow (Step Functions, started by EventBridge on ``SageMaker Model Package State Change`` with
``ModelApprovalStatus: Approved`` for the package group)::

    DescribeModelPackage -> IsApproved? (Approved and in this group, else Fail NotApproved: never deployed)
      -> Deploy (Lambda: re-checks approval, CreateModel + CreateEndpointConfig from the package, UpdateEndpoint
         with the endpoint's blue/green canary + alarm rollback DeploymentConfig)
      -> endpoint exists?  no (first promotion) -> Record -> ModelPromoted {firstDeploy: true}
      -> Wait -> Status -> updating: Wait | deployed: Record -> ModelPromoted | rolled_back / failed: Fail

``Record`` writes the package ARN to the live-model SSM parameter (:class:`LiveModelParameter`); the serving stack
reads that parameter at deploy time (:func:`live_model_package_arn`), so a later ``cdk deploy`` keeps the promoted
model. Rollback = approve the previous package again (a new approval event; same canary and alarms).

The parameter must exist before the serving stack's first deploy: create :class:`LiveModelParameter` in a stack
that deploys earlier (the training stack, which owns the package group). It starts at ``none`` (no model: the API
answers 503 ``no_model_deployed``) and has no tags, so CloudFormation never rewrites the value the workflow set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from pipeline_contract import NO_MODEL, PromotionEnv, PromotionEvent
from pipeline_stacks import bundling, compliance
from pipeline_stacks.constructs.endpoint import DeploymentGuardrails
from pipeline_stacks.iam import ManagedPolicyRole
from pipeline_stacks.stepfunctions import describe_model_package_task, put_event_task

#: detail-type of SageMaker's own model-package events (approval changes), which start a promotion.
APPROVAL_DETAIL_TYPE = "SageMaker Model Package State Change"
#: Name prefix length kept from the endpoint name in promoted model/config names (``<prefix>-v<N>-<8 hex>``).
NAME_PREFIX_CHARS = 47


def deployment_config(deployment: DeploymentGuardrails, alarm_names: tuple[str, ...]) -> dict[str, Any]:
    """The ``UpdateEndpoint`` ``DeploymentConfig`` equal to what :class:`ModelEndpoint` gives CloudFormation."""
    size = {"Type": "CAPACITY_PERCENT", "Value": deployment.step_percent}
    routing: dict[str, Any] = {
        "Type": {"canary": "CANARY", "linear": "LINEAR", "all_at_once": "ALL_AT_ONCE"}[deployment.strategy]
    }
    if deployment.strategy == "canary":
        routing["CanarySize"] = size
    if deployment.strategy == "linear":
        routing["LinearStepSize"] = size
    if deployment.strategy != "all_at_once":
        routing["WaitIntervalInSeconds"] = deployment.wait_seconds
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "TerminationWaitInSeconds": deployment.wait_seconds,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in alarm_names]},
    }


def expected_promotion_seconds(deployment: DeploymentGuardrails, *, provisioning_seconds: int = 900) -> int:
    """End-to-end time of a successful promotion: new fleet up, traffic shifted step by step (each step baked for
    ``wait_seconds``), then ``TerminationWaitInSeconds`` (= ``wait_seconds``) before the old fleet goes and the
    endpoint is InService. ``provisioning_seconds``: instance start + model download + container health check."""
    if deployment.strategy == "canary":
        shifts = 1
    elif deployment.strategy == "linear":
        shifts = -(-100 // deployment.step_percent) - 1
    else:
        shifts = 0
    return provisioning_seconds + shifts * deployment.wait_seconds + deployment.wait_seconds


def live_model_package_arn(scope: Construct, parameter_name: str) -> str:
    """The live package ARN (or ``none``) as a deploy-time token: a CloudFormation parameter of type
    ``AWS::SSM::Parameter::Value<String>`` resolved when the stack deploys, never at synth."""
    return ssm.StringParameter.value_for_string_parameter(scope, parameter_name)


@dataclass(frozen=True, kw_only=True)
class LiveModelParameterProps:
    """``parameter_name``: an SSM path, e.g. ``/llm-pipeline/prod/live-model-package``."""

    parameter_name: str

    def __post_init__(self) -> None:
        if not self.parameter_name.startswith("/") or " " in self.parameter_name:
            raise ValueError(f"LiveModelParameterProps.parameter_name={self.parameter_name!r}: an SSM path '/a/b'")


class LiveModelParameter(Construct):
    """The SSM parameter holding the live model package ARN (``none`` until the first promotion).

    Its CloudFormation properties never change (fixed value and description, no tags), so stack updates never
    rewrite the value the promotion workflow wrote. Attributes: ``parameter``, ``parameter_name``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: LiveModelParameterProps) -> None:
        super().__init__(scope, construct_id)
        self.parameter_name = props.parameter_name
        self.parameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=props.parameter_name,
            string_value=NO_MODEL,
            description="Live model package ARN, written by the promotion workflow (none: no model yet)",
            tier=ssm.ParameterTier.STANDARD,
        )
        self.parameter.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        cfn = self.parameter.node.default_child
        assert isinstance(cfn, ssm.CfnParameter)
        # Tags are rendered after aspects: dropping them keeps the resource's properties constant across deploys.
        cfn.add_property_deletion_override("Tags")


@dataclass(frozen=True, kw_only=True)
class PromotionWorkflowProps:
    """Tunables of :class:`PromotionWorkflow`. ``poll_interval``: how often the endpoint is checked during the
    rollout; ``timeout``: default = 3 x :func:`expected_promotion_seconds` (+1 h for a busy endpoint)."""

    model_package_group_name: str
    endpoint_name: str
    deployment: DeploymentGuardrails = field(default_factory=DeploymentGuardrails)
    poll_interval: cdk.Duration = field(default_factory=lambda: cdk.Duration.seconds(60))
    timeout: cdk.Duration | None = None
    reserved_concurrency: int | None = None
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR

    def __post_init__(self) -> None:
        if not self.model_package_group_name or not self.endpoint_name:
            raise ValueError("PromotionWorkflowProps: model_package_group_name and endpoint_name are required")


class PromotionWorkflow(Construct):
    """Approval-driven promotion of a model package onto an existing SageMaker endpoint.

    Collaborators: ``key`` (the lake key: logs, endpoint-config volume/data capture), ``parameter`` (the live-model
    parameter), ``endpoint_role`` (the endpoint's execution role, passed to the new Model), ``rollback_alarm_names``
    (the endpoint's rollback alarms). Attributes: ``state_machine``, ``state_machine_role``, ``function``,
    ``function_role``, ``rule`` (the approval rule), ``log_group``, ``deployment_config`` (the exact
    ``DeploymentConfig`` sent to UpdateEndpoint). Hooks: :meth:`approval_event_pattern`,
    :meth:`promoted_event_pattern`, :meth:`failed_event_pattern`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        parameter: ssm.IStringParameter,
        endpoint_role: iam.IRole,
        rollback_alarm_names: tuple[str, ...],
        props: PromotionWorkflowProps,
    ) -> None:
        super().__init__(scope, construct_id)
        if not rollback_alarm_names:
            raise ValueError("PromotionWorkflow needs the endpoint's rollback alarms: no promotion without rollback")
        self.props = p = props
        stack = cdk.Stack.of(self)
        self.deployment_config = deployment_config(p.deployment, tuple(rollback_alarm_names))
        self.log_group = logs.LogGroup(self, "Logs", encryption_key=key, retention=p.log_retention)
        self.function_role, self.function = self._function(key, parameter, endpoint_role, stack)
        self.state_machine_role = ManagedPolicyRole(
            self,
            "StateMachineRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Model promotion workflow: check approval, run the promotion steps, emit events",
        )
        timeout = p.timeout or cdk.Duration.seconds(3 * expected_promotion_seconds(p.deployment) + 3600)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition()),
            role=self.state_machine_role,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            comment="approval check -> blue/green canary update with alarm rollback -> record the live package",
        )
        compliance.acknowledge(
            self.state_machine_role,
            "PromotionWorkflow.state_machine_role",
            applies_to=(
                "Resource::*",
                compliance.resource_finding(self, self._package_arn()),
                # LambdaInvoke may call any version/alias of the one promotion function.
                compliance.resource_finding(self, f"{self.function.function_arn}:*"),
            ),
        )
        self.rule = events.Rule(
            self,
            "OnApproval",
            description=f"A package of {p.model_package_group_name} set to Approved starts its promotion",
            event_pattern=self.approval_event_pattern(),
            targets=[
                targets.SfnStateMachine(
                    self.state_machine,
                    input=events.RuleTargetInput.from_object(
                        {
                            "modelPackageArn": events.EventField.from_path("$.detail.ModelPackageArn"),
                            "approvalEventId": events.EventField.event_id,
                        }
                    ),
                    role=ManagedPolicyRole(
                        self,
                        "RuleRole",
                        assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
                        description="Starts the promotion workflow on an approval event",
                    ),
                    retry_attempts=3,
                )
            ],
        )

    # ------------------------------------------------------------------ hooks

    def approval_event_pattern(self) -> events.EventPattern:
        """SageMaker's own event for a package of the group becoming Approved."""
        return events.EventPattern(
            source=["aws.sagemaker"],
            detail_type=[APPROVAL_DETAIL_TYPE],
            detail={
                "ModelPackageGroupName": [self.props.model_package_group_name],
                "ModelApprovalStatus": ["Approved"],
            },
        )

    def promoted_event_pattern(self) -> events.EventPattern:
        """``ModelPromoted`` (detail: modelPackageArn, endpointName, firstDeploy)."""
        return self._pattern(PromotionEvent.MODEL_PROMOTED)

    def failed_event_pattern(self) -> events.EventPattern:
        """``ModelPromotionFailed`` (detail: reason = not_approved | rolled_back | failed | error, cause)."""
        return self._pattern(PromotionEvent.MODEL_PROMOTION_FAILED)

    def _pattern(self, detail_type: str) -> events.EventPattern:
        return events.EventPattern(
            source=[PromotionEvent.SOURCE],
            detail_type=[detail_type],
            detail={"stateMachineArn": [self.state_machine.state_machine_arn]},
        )

    # ------------------------------------------------------------------ function

    def _function(
        self, key: kms.IKey, parameter: ssm.IStringParameter, endpoint_role: iam.IRole, stack: cdk.Stack
    ) -> tuple[ManagedPolicyRole, lambda_.Function]:
        p = self.props
        role = ManagedPolicyRole(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Promotion steps for endpoint {p.endpoint_name}: create model/config, update, record",
        )
        log_group = logs.LogGroup(self, "FunctionLogs", encryption_key=key, retention=p.log_retention)
        log_group.grant_write(role)
        prefix = p.endpoint_name[:NAME_PREFIX_CHARS]

        def arn(resource: str, name: str) -> str:
            return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)

        statements = [
            ("ReadPackage", ["sagemaker:DescribeModelPackage"], [self._package_arn()]),
            ("Endpoint", ["sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"],
             [arn("endpoint", p.endpoint_name)]),
            # The live model and config were named by CloudFormation (no common prefix): read-only on any.
            ("ReadLive", ["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
             [arn("endpoint-config", "*"), arn("model", "*")]),
            ("CreatePromoted", ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:AddTags"],
             [arn("model", f"{prefix}*"), arn("endpoint-config", f"{prefix}*")]),
            ("UpdateToPromoted", ["sagemaker:UpdateEndpoint"], [arn("endpoint-config", f"{prefix}*")]),
        ]  # fmt: skip
        for sid, actions, resources in statements:
            role.add_to_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources))
        role.add_to_policy(
            iam.PolicyStatement(
                sid="PassEndpointRole",
                actions=["iam:PassRole"],
                resources=[endpoint_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="EndpointVolumeKey",
                actions=["kms:CreateGrant", "kms:DescribeKey"],
                resources=[key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        parameter.grant_write(role)
        function = lambda_.Function(
            self,
            "Function",
            description=f"Model promotion steps for endpoint {p.endpoint_name}",
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,  # no dependencies: boto3 comes with the runtime
            handler="promotion.handler",
            # the handler plus pipeline_contract.py (env names, NO_MODEL); no pip dependencies
            code=bundling.lambda_code(
                "lambda_src/promotion",
                extra=(bundling.Copy("pipeline_contract.py", "pipeline_contract.py"),),
                python_version="3.14",
                compile_bytecode=False,
            ),
            memory_size=256,
            timeout=cdk.Duration.minutes(1),
            reserved_concurrent_executions=p.reserved_concurrency,
            tracing=lambda_.Tracing.ACTIVE,
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                PromotionEnv.ENDPOINT_NAME: p.endpoint_name,
                PromotionEnv.MODEL_PACKAGE_GROUP_NAME: p.model_package_group_name,
                PromotionEnv.LIVE_MODEL_PARAMETER: parameter.parameter_name,
            },
        )
        compliance.acknowledge(function, "PromotionWorkflow.function")
        if p.reserved_concurrency is None:
            compliance.acknowledge(function, "PromotionWorkflow.function_unreserved")
        compliance.acknowledge(
            role,
            "PromotionWorkflow.function_role",
            applies_to=(
                "Resource::*",
                *(
                    compliance.resource_finding(self, a)
                    for a in (
                        self._package_arn(),
                        arn("endpoint-config", "*"),
                        arn("model", "*"),
                        arn("model", f"{prefix}*"),
                        arn("endpoint-config", f"{prefix}*"),
                    )
                ),
            ),
        )
        return role, function

    def _package_arn(self) -> str:
        return cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="model-package", resource_name=f"{self.props.model_package_group_name}/*"
        )

    # ------------------------------------------------------------------ definition

    def _step(self, construct_id: str, payload: dict[str, Any], result_path: str) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            construct_id,
            lambda_function=self.function,
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            result_path=result_path,
            retry_on_service_exceptions=True,
        )
        return task

    def _event(self, construct_id: str, detail_type: str, detail: dict[str, Any]) -> tasks.EventBridgePutEvents:
        return put_event_task(
            self,
            construct_id,
            source=PromotionEvent.SOURCE,
            detail_type=detail_type,
            detail={**detail, "endpointName": self.props.endpoint_name},
        )

    def _failure(self, name: str, reason: str, error: str, cause_path: str | None = None) -> sfn.IChainable:
        emit = self._event(
            f"Emit{name}",
            PromotionEvent.MODEL_PROMOTION_FAILED,
            {
                "reason": reason,
                "modelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn"),
                "cause": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(cause_path or "$")),
            },
        )
        fail = sfn.Fail(self, name, error=error, cause=f"Promotion stopped: {reason}")
        emit.add_catch(fail, errors=["States.ALL"], result_path="$.emitError")
        return emit.next(fail)

    def _definition(self) -> sfn.IChainable:
        p = self.props
        package = "$.package"
        describe = describe_model_package_task(
            self,
            "DescribeModelPackage",
            package_arn=self._package_arn(),
            name_path="$.modelPackageArn",
            result_selector={
                "status.$": "$.ModelApprovalStatus",
                "group.$": "$.ModelPackageGroupName",
                "version.$": "$.ModelPackageVersion",
            },
            result_path=package,
        )
        describe.add_retry(errors=["SageMaker.SageMakerException"], max_attempts=3, interval=cdk.Duration.seconds(5))
        not_approved = self._failure("NotApproved", "not_approved", "Promotion.NotApproved", package)
        error = self._failure("PromotionError", "error", "Promotion.Error", "$.error")
        describe.add_catch(error, errors=["States.ALL"], result_path="$.error")

        deploy = self._step(
            "Deploy",
            {
                "action": "deploy",
                "modelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn"),
                "deploymentConfig": self.deployment_config,
                "executionId": sfn.JsonPath.string_at("$$.Execution.Id"),
            },
            "$.deploy",
        )
        # Another promotion or a cdk deploy is updating the endpoint: wait for it (up to ~2 h).
        deploy.add_retry(errors=["EndpointBusy"], interval=cdk.Duration.minutes(5), max_attempts=24, backoff_rate=1)
        deploy.add_catch(not_approved, errors=["NotApproved", "WrongGroup"], result_path="$.error")
        deploy.add_catch(error, errors=["States.ALL"], result_path="$.error")

        record = self._step(
            "Record",
            {"action": "record", "modelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn")},
            "$.record",
        )
        record.add_catch(error, errors=["States.ALL"], result_path="$.error")
        promoted = self._event(
            "EmitModelPromoted",
            PromotionEvent.MODEL_PROMOTED,
            {
                "modelPackageArn": sfn.JsonPath.string_at("$.modelPackageArn"),
                "firstDeploy": sfn.JsonPath.string_at("$.firstDeploy"),
            },
        )
        done = sfn.Succeed(self, "Promoted")
        first = sfn.Pass(
            self,
            "FirstPromotion",
            comment="No endpoint yet: record the package; the next deploy of the serving stack creates the endpoint",
            result=sfn.Result.from_boolean(True),
            result_path="$.firstDeploy",
        )
        rolled = sfn.Pass(self, "RolledOut", result=sfn.Result.from_boolean(False), result_path="$.firstDeploy")
        record_chain = record.next(promoted).next(done)

        wait = sfn.Wait(self, "WaitForRollout", time=sfn.WaitTime.duration(p.poll_interval))
        status = self._step(
            "Status",
            {"action": "status", "endpointConfigName": sfn.JsonPath.string_at("$.deploy.endpointConfigName")},
            "$.status",
        )
        status.add_retry(errors=["States.TaskFailed"], max_attempts=3, interval=cdk.Duration.seconds(10))
        status.add_catch(error, errors=["States.ALL"], result_path="$.error")
        outcome = (
            sfn.Choice(self, "RolloutOutcome")
            .when(sfn.Condition.string_equals("$.status.outcome", "updating"), wait)
            .when(sfn.Condition.string_equals("$.status.outcome", "deployed"), rolled.next(record_chain))
            .when(
                sfn.Condition.string_equals("$.status.outcome", "rolled_back"),
                self._failure("RolledBack", "rolled_back", "Promotion.RolledBack", "$.status"),
            )
            .otherwise(self._failure("DeploymentFailed", "failed", "Promotion.Failed", "$.status"))
        )
        wait.next(status).next(outcome)
        exists = (
            sfn.Choice(self, "EndpointExists")
            .when(sfn.Condition.boolean_equals("$.deploy.endpointExists", True), wait)
            .otherwise(first.next(record_chain))
        )
        approved = (
            sfn.Choice(self, "IsApproved", comment="Only an Approved package of this group is ever deployed")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.string_equals(f"{package}.status", "Approved"),
                    sfn.Condition.string_equals(f"{package}.group", p.model_package_group_name),
                ),
                deploy.next(exists),
            )
            .otherwise(not_approved)
        )
        return sfn.Chain.start(describe).next(approved)
