"""DeliveryPipeline: stages, approval, smoke step, encryption, cross-account deploy roles, nag + cfn-lint clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk.assertions import Match, Template

from pipeline_stacks import compliance
from pipeline_stacks.constructs.delivery import (
    DeliveryPipelineProps,
    DeliveryStage,
    PipelineSource,
    SmokeTarget,
    SmokeTestAccess,
    SmokeTestAccessProps,
)
from pipeline_stacks.stacks.delivery import DeliveryStack, DeliveryStackProps
from tests.cdk.support import cdk_json_context, cfn_lint_errors, nag_findings

TOOLING, DEV, PROD = "111111111111", "222222222222", "333333333333"
REGION = "us-east-1"
CONNECTION = f"arn:aws:codeconnections:{REGION}:{TOOLING}:connection/0123abcd-0000-1111-2222-333344445555"
PIPELINE = "llm-delivery"


def stage_builder(name: str, account: str) -> Any:
    """A stand-in for the app's stacks: a serving stack exposing an (imported) API to the smoke test."""

    def build(stage: cdk.Stage) -> SmokeTarget:
        stack = cdk.Stack(stage, "serving", stack_name=f"llm-pipeline-{name}-serving")
        api = apigateway.RestApi.from_rest_api_attributes(stack, "Api", rest_api_id="abc123", root_resource_id="r00t")
        key = apigateway.ApiKey.from_api_key_id(stack, "Key", "key123")
        return SmokeTestAccess(
            stack,
            "Smoke",
            api=api,
            api_url=f"https://abc123.execute-api.{REGION}.amazonaws.com/prod/",
            auth="iam",
            api_key=key,
            props=SmokeTestAccessProps(
                pipeline_account=TOOLING,
                smoke_role_name=f"{PIPELINE}-smoke-{name}",
                role_name=f"llm-pipeline-{name}-smoke",
                alarm_prefix=f"llm-pipeline-{name}",
            ),
        ).target

    return build


def synth(outdir: Path, source: PipelineSource, accounts: tuple[str, str]) -> cdk.cx_api.CloudAssembly:
    ctx = {**cdk_json_context(), "aws:cdk:bundling-stacks": [], "@aws-cdk/core:failSynthOnValidationErrors": False}
    app = cdk.App(outdir=str(outdir), context=ctx)
    DeliveryStack(
        app,
        "llm-pipeline-delivery",
        env=cdk.Environment(account=TOOLING, region=REGION),
        props=DeliveryStackProps(
            source=source,
            stages=(
                DeliveryStage(
                    name="dev",
                    env=cdk.Environment(account=accounts[0], region=REGION),
                    build=stage_builder("dev", accounts[0]),
                ),
                DeliveryStage(
                    name="prod",
                    env=cdk.Environment(account=accounts[1], region=REGION),
                    build=stage_builder("prod", accounts[1]),
                    approval=True,
                    smoke_test=False,
                ),
            ),
            pipeline=DeliveryPipelineProps(pipeline_name=PIPELINE, synth_env="prod"),
        ),
    )
    compliance.add_compliance_checks(app)
    return app.synth()


@pytest.fixture(scope="module")
def cross_account(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Template]:
    out = tmp_path_factory.mktemp("delivery")
    synth(out, PipelineSource(), (DEV, PROD))
    return out, Template.from_json(json.loads((out / "llm-pipeline-delivery.template.json").read_text()))


@pytest.fixture(scope="module")
def connected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Template]:
    out = tmp_path_factory.mktemp("delivery-conn")
    synth(out, PipelineSource(connection_arn=CONNECTION, repository="acme/llm", branch="release"), (TOOLING, TOOLING))
    return out, Template.from_json(json.loads((out / "llm-pipeline-delivery.template.json").read_text()))


def pipeline_stages(template: Template) -> list[dict[str, Any]]:
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    return pipeline["Properties"]["Stages"]


def test_stages_run_source_build_selfmutation_dev_smoke_then_approved_prod(
    cross_account: tuple[Path, Template],
) -> None:
    stages = pipeline_stages(cross_account[1])
    assert [s["Name"] for s in stages] == ["Source", "Build", "UpdatePipeline", "dev", "prod"]
    dev, prod = stages[3]["Actions"], stages[4]["Actions"]
    deploy_order = max(a["RunOrder"] for a in dev if a["ActionTypeId"]["Provider"] == "CloudFormation")
    (smoke,) = [a for a in dev if a["Name"] == "SmokeTest-dev"]
    assert smoke["ActionTypeId"]["Provider"] == "CodeBuild" and smoke["RunOrder"] > deploy_order
    (approval,) = [a for a in prod if a["ActionTypeId"]["Category"] == "Approval"]
    first_deploy = min(a["RunOrder"] for a in prod if a["ActionTypeId"]["Provider"] == "CloudFormation")
    assert approval["RunOrder"] < first_deploy
    assert not [a for a in prod if a["Name"].startswith("SmokeTest")]


def test_build_runs_the_tests_then_synth_and_self_mutation_is_on(cross_account: tuple[Path, Template]) -> None:
    projects = cross_account[1].find_resources("AWS::CodeBuild::Project")
    specs = {k: json.loads(v["Properties"]["Source"]["BuildSpec"]) for k, v in projects.items()}
    (build,) = [s for k, s in specs.items() if "Build" in k and "Smoke" not in k and "SelfMutation" not in k]
    assert build["phases"]["build"]["commands"] == ["make test", "make synth ENV=prod CDK_OUT=cdk.out"]
    assert build["artifacts"]["base-directory"] == "cdk.out"
    (mutation,) = [s for k, s in specs.items() if "SelfMutation" in k]
    assert any("cdk -a . deploy" in c for c in mutation["phases"]["build"]["commands"])


def test_artifacts_and_logs_are_encrypted_with_a_rotated_cmk(cross_account: tuple[Path, Template]) -> None:
    template = cross_account[1]
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    store = pipeline["Properties"]["ArtifactStore"]
    assert store["EncryptionKey"]["Type"] == "KMS"
    key_id = store["EncryptionKey"]["Id"]["Fn::GetAtt"][0]
    assert template.to_json()["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    bucket = template.to_json()["Resources"][store["Location"]["Ref"]]["Properties"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LoggingConfiguration"]["DestinationBucketName"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }  # fmt: skip
    for project in template.find_resources("AWS::CodeBuild::Project").values():
        props = project["Properties"]
        assert props["EncryptionKey"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert props["Environment"]["PrivilegedMode"] is False
        assert props["LogsConfig"]["CloudWatchLogs"]["Status"] == "ENABLED"
    (log_group,) = template.find_resources("AWS::Logs::LogGroup").values()
    assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_stages_deploy_through_each_accounts_bootstrap_roles(cross_account: tuple[Path, Template]) -> None:
    template = cross_account[1]
    stages = {s["Name"]: s for s in pipeline_stages(template)}
    for stage, account in (("dev", DEV), ("prod", PROD)):
        roles = {
            json.dumps(a["RoleArn"])
            for a in stages[stage]["Actions"]
            if a["ActionTypeId"]["Provider"] == "CloudFormation"
        }
        assert roles and all(f":iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{REGION}" in r for r in roles)
    key_policy = json.dumps(template.find_resources("AWS::KMS::Key"))
    assert (
        f"{DEV}:role/cdk-hnb659fds-deploy-role" in key_policy and f"{PROD}:role/cdk-hnb659fds-deploy-role" in key_policy
    )


def test_smoke_step_gets_the_stage_outputs_and_may_only_assume_the_stage_smoke_role(
    cross_account: tuple[Path, Template],
) -> None:
    template = cross_account[1]
    (smoke,) = [p for k, p in template.find_resources("AWS::CodeBuild::Project").items() if "SmokeTest" in k]
    env = {v["Name"]: v["Value"] for v in smoke["Properties"]["Environment"]["EnvironmentVariables"]}
    assert env["SMOKE_AUTH"] == "iam" and env["SMOKE_ALARM_PREFIX"] == "llm-pipeline-dev"
    assert env["SMOKE_ROLE_ARN"]["Fn::Join"][1][-1] == f":iam::{DEV}:role/llm-pipeline-dev-smoke"
    spec = json.loads(smoke["Properties"]["Source"]["BuildSpec"])
    assert spec["phases"]["build"]["commands"][-1] == "python tools/smoke_test.py"
    (dev,) = [s for s in pipeline_stages(template) if s["Name"] == "dev"]
    (action,) = [a for a in dev["Actions"] if a["Name"] == "SmokeTest-dev"]
    variables = {v["name"]: v["value"] for v in json.loads(action["Configuration"]["EnvironmentVariables"])}
    assert variables["SMOKE_API_URL"].startswith("#{") and variables["SMOKE_API_KEY_ID"].startswith("#{")
    role_id = smoke["Properties"]["ServiceRole"]["Fn::GetAtt"][0]
    policies = [
        p for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_id} in p["Properties"].get("Roles", [])
    ]  # fmt: skip
    actions = {
        a
        for p in policies
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "sts:AssumeRole" in actions
    assert not {a for a in actions if a.split(":")[0] not in {"sts", "s3", "kms", "logs", "codebuild"}}
    assert not {a for a in actions if a.startswith("sts:") and a != "sts:AssumeRole"}


def test_smoke_access_role_trusts_only_the_pipelines_smoke_role(cross_account: tuple[Path, Template]) -> None:
    out = cross_account[0]
    (stage_template,) = (out / "assembly-llm-pipeline-delivery-Delivery-Stage-dev").glob("*serving*.template.json")
    template = Template.from_json(json.loads(stage_template.read_text()))
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "RoleName": "llm-pipeline-dev-smoke",
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Condition": {"ArnEquals": {"aws:PrincipalArn": Match.any_value()}},
                            "Principal": {"AWS": Match.any_value()},
                        }
                    )
                ]
            },
        },
    )
    rendered = json.dumps(template.to_json())
    assert f":iam::{TOOLING}:role/{PIPELINE}-smoke-dev" in rendered
    assert "/prod/POST/v1/chat/completions" in rendered
    assert ":alarm:llm-pipeline-dev*" in rendered
    assert "/apikeys/key123" in rendered


def test_s3_source_starts_the_pipeline_on_a_new_object(cross_account: tuple[Path, Template]) -> None:
    template = cross_account[1]
    (source,) = [s for s in pipeline_stages(template) if s["Name"] == "Source"]
    assert source["Actions"][0]["ActionTypeId"]["Provider"] == "S3"
    assert source["Actions"][0]["Configuration"]["PollForSourceChanges"] is False
    template.has_resource_properties(
        "AWS::Events::Rule",
        {"EventPattern": Match.object_like({"detail-type": ["Object Created"],
                                            "detail": Match.object_like({"object": {"key": ["source/source.zip"]}})})},
    )  # fmt: skip


def test_connection_source_uses_codeconnections_on_the_branch(connected: tuple[Path, Template]) -> None:
    template = connected[1]
    (source,) = [s for s in pipeline_stages(template) if s["Name"] == "Source"]
    action = source["Actions"][0]
    assert action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert action["Configuration"]["ConnectionArn"] == CONNECTION
    assert action["Configuration"]["FullRepositoryId"] == "acme/llm"
    assert action["Configuration"]["BranchName"] == "release"
    assert not template.find_resources("AWS::Events::Rule")


@pytest.mark.parametrize("fixture", ["cross_account", "connected"])
def test_nag_clean_and_iam5_only_per_finding(fixture: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(fixture)[0]
    assert nag_findings(out) == []
    applied = [
        rule["id"]
        for path in out.rglob("*.template.json")
        for resource in json.loads(path.read_text()).get("Resources", {}).values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert [i for i in applied if i.endswith("IAM5")] == []


def test_an_unexpected_wildcard_in_a_pipeline_role_is_still_reported(tmp_path: Path) -> None:
    """The generated-grant acknowledgments match finding shapes; anything else must still fail synth."""
    from aws_cdk import aws_iam as iam

    ctx = {**cdk_json_context(), "aws:cdk:bundling-stacks": [], "@aws-cdk/core:failSynthOnValidationErrors": False}
    app = cdk.App(outdir=str(tmp_path), context=ctx)
    stack = DeliveryStack(
        app, "d", env=cdk.Environment(account=TOOLING, region=REGION),
        props=DeliveryStackProps(source=PipelineSource(), stages=(
            DeliveryStage(name="dev", env=cdk.Environment(account=TOOLING, region=REGION),
                          build=stage_builder("dev", TOOLING)),
        )),
    )  # fmt: skip
    stack.delivery.smoke_roles["dev"].add_to_principal_policy(
        iam.PolicyStatement(actions=["ec2:Describe*"], resources=["*"])
    )
    compliance.add_compliance_checks(app)
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-IAM5[Action::ec2:Describe*]" in rules


def test_cfn_lint_clean(cross_account: tuple[Path, Template]) -> None:
    templates = sorted(cross_account[0].rglob("*.template.json"))
    assert len(templates) >= 3
    assert cfn_lint_errors(templates, region=REGION) == []


def test_props_are_validated() -> None:
    with pytest.raises(ValueError, match="repository"):
        PipelineSource(connection_arn=CONNECTION)
    with pytest.raises(ValueError, match="CodeConnections ARN"):
        PipelineSource(connection_arn="arn:aws:s3:::bucket", repository="a/b")
    with pytest.raises(ValueError, match="name"):
        DeliveryStage(name="prod stage", env=cdk.Environment(), build=lambda _s: None)
    with pytest.raises(ValueError, match="pipeline_name"):
        DeliveryPipelineProps(pipeline_name="bad name!")


def test_a_stage_in_another_region_is_refused(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    with pytest.raises(ValueError, match="eu-west-1"):
        DeliveryStack(
            app, "d", env=cdk.Environment(account=TOOLING, region=REGION),
            props=DeliveryStackProps(source=PipelineSource(), stages=(
                DeliveryStage(name="dev", env=cdk.Environment(account=DEV, region="eu-west-1"), build=lambda _s: None),
            )),
        )  # fmt: skip


@pytest.mark.slow
def test_the_whole_prod_app_deploys_from_the_pipeline_nag_and_cfn_lint_clean(tmp_path: Path) -> None:
    """The app's real stacks (build_pipeline) inside a pipeline stage: what the coordinator wires for prod."""
    from pipeline_stacks.config import load_config
    from pipeline_stacks.pipeline import build_pipeline

    ctx = {
        **cdk_json_context(), "aws:cdk:bundling-stacks": [], "@aws-cdk/core:failSynthOnValidationErrors": False,
        "env": "prod", "account": TOOLING, "region": REGION,
    }  # fmt: skip
    app = cdk.App(outdir=str(tmp_path), context=ctx)
    config = load_config(app.node.try_get_context, all_context=app.node.get_all_context())

    def build(stage: cdk.Stage) -> None:
        build_pipeline(stage, config)  # type: ignore[arg-type]  # a Stage is a valid scope for the app's stacks

    DeliveryStack(
        app, "llm-pipeline-delivery", env=cdk.Environment(account=TOOLING, region=REGION),
        props=DeliveryStackProps(source=PipelineSource(), stages=(
            DeliveryStage(name="prod", env=cdk.Environment(account=TOOLING, region=REGION), build=build, approval=True),
        )),
    )  # fmt: skip
    compliance.add_compliance_checks(app)
    app.synth()
    assert nag_findings(tmp_path) == []
    template = Template.from_json(json.loads((tmp_path / "llm-pipeline-delivery.template.json").read_text()))
    (prod,) = [s for s in pipeline_stages(template) if s["Name"] == "prod"]
    deployed = {a["Configuration"]["StackName"] for a in prod["Actions"] if "StackName" in a.get("Configuration", {})}
    # build_pipeline passes stack_name=config.stack_name(...): the pipeline and a hand deploy manage the same stacks
    expected = {config.stack_name(c) for c in ("data", "training", "serving", "monitoring")}
    assert deployed == expected
    assert cfn_lint_errors(sorted(tmp_path.rglob("*.template.json")), region=REGION) == []
