"""PromotionWorkflow: approval event pattern, the approval check before any deploy, the canary config sent to
UpdateEndpoint equals the endpoint's own, the live-model parameter, least privilege, nag + cfn-lint clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from pipeline_stacks import compliance
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.constructs.endpoint import DeploymentGuardrails, ModelEndpoint, ModelEndpointProps
from pipeline_stacks.constructs.promotion import (
    NO_MODEL,
    LiveModelParameter,
    LiveModelParameterProps,
    PromotionWorkflow,
    PromotionWorkflowProps,
    deployment_config,
    expected_promotion_seconds,
    live_model_package_arn,
)
from pipeline_stacks.iam import ManagedPolicyRole
from tests.cdk.support import cdk_json_context, cfn_lint_errors, nag_findings

GROUP = "llm-pipeline"
ENDPOINT = "llm-pipeline-prod-llm"
PARAMETER = "/llm-pipeline/prod/live-model-package"
ENV = cdk.Environment(account="123456789012", region="us-east-1")


class App:
    def __init__(self, outdir: Path) -> None:
        ctx = {**cdk_json_context(), "aws:cdk:bundling-stacks": [], "@aws-cdk/core:failSynthOnValidationErrors": False}
        self.app = cdk.App(outdir=str(outdir), context=ctx)
        self.outdir = outdir
        training = cdk.Stack(self.app, "training", env=ENV)
        self.live = LiveModelParameter(training, "LiveModel", props=LiveModelParameterProps(parameter_name=PARAMETER))
        serving = cdk.Stack(self.app, "serving", env=ENV)
        lake = DataLake(serving, "Lake")
        self.endpoint = ModelEndpoint(
            serving,
            "Endpoint",
            data_lake=lake,
            props=ModelEndpointProps(
                endpoint_name=ENDPOINT,
                model_package_arn=live_model_package_arn(serving, PARAMETER),
                deployment=DeploymentGuardrails(strategy="canary", step_percent=10, wait_seconds=600),
            ),
        )
        self.workflow = PromotionWorkflow(
            serving,
            "Promotion",
            key=lake.key,
            parameter=self.live.parameter,
            endpoint_role=self.endpoint.role,
            rollback_alarm_names=(self.endpoint.latency_alarm.alarm_name, self.endpoint.errors_5xx_alarm.alarm_name),
            props=PromotionWorkflowProps(
                model_package_group_name=GROUP, endpoint_name=ENDPOINT, deployment=self.endpoint.props.deployment
            ),
        )
        self.invoker = ManagedPolicyRole(serving, "Invoker", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.endpoint.grant_invoke(self.invoker)
        self.environment = serving.resolve(dict(self.endpoint.environment))
        cdk.Tags.of(self.app).add("project", "llm")
        compliance.add_compliance_checks(self.app)
        self.app.synth()

    def template(self, name: str) -> Template:
        return Template.from_json(json.loads((self.outdir / f"{name}.template.json").read_text()))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    return App(tmp_path_factory.mktemp("promotion"))


def definition(app: App) -> dict[str, Any]:
    (machine,) = app.template("serving").find_resources("AWS::StepFunctions::StateMachine").values()
    joined = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else json.dumps(p).replace('"', "'") for p in joined)
    return json.loads(text)


def test_the_rule_starts_on_approved_packages_of_the_group_only(app: App) -> None:
    (rule,) = app.template("serving").find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [GROUP], "ModelApprovalStatus": ["Approved"]},
    }
    (target,) = rule["Properties"]["Targets"]
    assert "$.detail.ModelPackageArn" in json.dumps(target["InputTransformer"])


def test_approval_is_rechecked_before_anything_is_deployed(app: App) -> None:
    states = definition(app)["States"]
    assert definition(app)["StartAt"] == "DescribeModelPackage"
    describe = states["DescribeModelPackage"]
    assert describe["Resource"].endswith(":states:::aws-sdk:sagemaker:describeModelPackage")
    assert describe["Next"] == "IsApproved"
    choice = states["IsApproved"]
    (rule,) = choice["Choices"]
    assert rule["And"] == [
        {"Variable": "$.package.status", "StringEquals": "Approved"},
        {"Variable": "$.package.group", "StringEquals": GROUP},
    ]
    assert rule["Next"] == "Deploy"
    # Anything else (PendingManualApproval, Rejected, another group) ends in a Fail without reaching Deploy.
    refused = states[choice["Default"]]
    assert refused["Type"] == "Task" and states[refused["Next"]] == {
        "Type": "Fail", "Error": "Promotion.NotApproved", "Cause": "Promotion stopped: not_approved",
    }  # fmt: skip
    # The Lambda re-checks too; its NotApproved/WrongGroup errors lead to the same Fail.
    catches = {tuple(c["ErrorEquals"]): c["Next"] for c in states["Deploy"]["Catch"]}
    assert catches[("NotApproved", "WrongGroup")] == choice["Default"]


def test_rollout_waits_and_only_records_a_deployed_package(app: App) -> None:
    states = definition(app)["States"]
    outcome = {c["StringEquals"]: c["Next"] for c in states["RolloutOutcome"]["Choices"]}
    assert outcome["updating"] == "WaitForRollout"
    assert states[outcome["deployed"]]["Next"] == "Record"
    assert states[states[outcome["rolled_back"]]["Next"]]["Error"] == "Promotion.RolledBack"
    assert states[states[states["RolloutOutcome"]["Default"]]["Next"]]["Error"] == "Promotion.Failed"
    assert states["WaitForRollout"]["Seconds"] == 60
    busy = [r for r in states["Deploy"]["Retry"] if r["ErrorEquals"] == ["EndpointBusy"]]
    assert busy and busy[0]["IntervalSeconds"] == 300


def test_update_endpoint_gets_the_endpoints_own_canary_and_rollback_alarms(app: App) -> None:
    sent = definition(app)["States"]["Deploy"]["Parameters"]["deploymentConfig"]
    (endpoint,) = app.template("serving").find_resources("AWS::SageMaker::Endpoint").values()
    cfn = endpoint["Properties"]["DeploymentConfig"]
    assert sent["BlueGreenUpdatePolicy"] == cfn["BlueGreenUpdatePolicy"]
    # The same two alarm resources (rendered as Refs in both places) ...
    assert [a["AlarmName"] for a in sent["AutoRollbackConfiguration"]["Alarms"]] == [
        json.dumps(a["AlarmName"]).replace('"', "'") for a in cfn["AutoRollbackConfiguration"]["Alarms"]
    ]
    # ... which are the endpoint's rollback alarms.
    alarms = app.template("serving").find_resources("AWS::CloudWatch::Alarm")
    names = [
        alarms[a["AlarmName"]["Ref"]]["Properties"]["AlarmName"] for a in cfn["AutoRollbackConfiguration"]["Alarms"]
    ]
    assert names == [f"{ENDPOINT}-model-latency-p99", f"{ENDPOINT}-invocation-5xx"]


def test_live_model_parameter_starts_empty_untagged_and_retained(app: App) -> None:
    (param,) = app.template("training").find_resources("AWS::SSM::Parameter").values()
    assert param["Properties"]["Value"] == NO_MODEL and param["Properties"]["Name"] == PARAMETER
    assert "Tags" not in param["Properties"]  # stack tags would make CloudFormation rewrite the value
    assert param["DeletionPolicy"] == "Retain"


def test_serving_reads_the_live_package_at_deploy_time(app: App) -> None:
    template = app.template("serving").to_json()
    ssm_params = {
        k: v for k, v in template["Parameters"].items()
        if v["Type"].startswith("AWS::SSM::Parameter") and v["Default"] != "/cdk-bootstrap/hnb659fds/version"
    }  # fmt: skip
    assert [v["Default"] for v in ssm_params.values()] == [PARAMETER]
    (model,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
    assert model["Properties"]["PrimaryContainer"]["ModelPackageName"] == {"Ref": next(iter(ssm_params))}


def test_first_deploy_without_a_model_creates_no_sagemaker_resources(app: App) -> None:
    template = app.template("serving").to_json()
    (name,) = template["Conditions"]
    (param_ref,) = [k for k, v in template["Parameters"].items() if v.get("Default") == PARAMETER]
    assert template["Conditions"][name] == {"Fn::Not": [{"Fn::Equals": [{"Ref": param_ref}, NO_MODEL]}]}
    conditioned = {v["Type"] for v in template["Resources"].values() if v.get("Condition") == name}
    assert conditioned == {
        "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy",
    }  # fmt: skip
    # Nothing unconditioned may point at a conditioned resource (the invoke grant names the endpoint by ARN).
    gated = {k for k, v in template["Resources"].items() if v.get("Condition") == name}
    for key, resource in template["Resources"].items():
        if key not in gated:
            text = json.dumps(resource)
            assert not [g for g in gated if f'"{g}"' in text], key
    # The front door learns whether a model is live from LIVE_MODEL_PACKAGE_ARN (none: 503 no_model_deployed).
    assert app.environment["LIVE_MODEL_PACKAGE_ARN"] == {"Ref": param_ref}
    assert app.environment["ENDPOINT_NAME"] == ENDPOINT


def test_function_may_create_only_promotion_named_resources_and_pass_only_the_endpoint_role(app: App) -> None:
    serving = app.template("serving").to_json()["Resources"]
    role_id = next(k for k, v in serving.items() if v["Type"] == "AWS::IAM::Role" and "PromotionFunctionRole" in k)
    (policy,) = [
        v for v in serving.values()
        if v["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": role_id} in v["Properties"]["Roles"]
    ]  # fmt: skip
    statements = {s.get("Sid"): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    create = json.dumps(statements["CreatePromoted"]["Resource"])
    assert f"model/{ENDPOINT}*" in create and f"endpoint-config/{ENDPOINT}*" in create
    assert statements["PassEndpointRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert statements["EndpointVolumeKey"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    actions = {a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert "sagemaker:DeleteEndpoint" not in actions and not any(a.endswith(":*") for a in actions)


def test_nag_and_cfn_lint_clean(app: App) -> None:
    assert nag_findings(app.outdir) == []
    assert cfn_lint_errors(sorted(app.outdir.glob("*.template.json"))) == []


def test_promotion_needs_rollback_alarms(tmp_path: Path) -> None:
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_ssm as ssm

    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "s")
    with pytest.raises(ValueError, match="rollback"):
        PromotionWorkflow(
            stack, "P", key=kms.Key(stack, "K"),
            parameter=ssm.StringParameter.from_string_parameter_name(stack, "Pa", PARAMETER),
            endpoint_role=iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")),
            rollback_alarm_names=(), props=PromotionWorkflowProps(model_package_group_name=GROUP, endpoint_name="e"),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("deployment", "seconds"),
    [
        (DeploymentGuardrails(strategy="canary", step_percent=10, wait_seconds=600), 900 + 600 + 600),
        (DeploymentGuardrails(strategy="linear", step_percent=25, wait_seconds=300), 900 + 3 * 300 + 300),
        (DeploymentGuardrails(strategy="all_at_once", wait_seconds=0), 900),
    ],
)
def test_expected_promotion_time_follows_the_canary_and_termination_wait(
    deployment: DeploymentGuardrails, seconds: int
) -> None:
    assert expected_promotion_seconds(deployment) == seconds
    config = deployment_config(deployment, ("a",))
    assert config["BlueGreenUpdatePolicy"]["TerminationWaitInSeconds"] == deployment.wait_seconds
