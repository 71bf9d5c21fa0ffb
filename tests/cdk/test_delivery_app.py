"""Issue 14 wired into the app: prod synthesizes the delivery pipeline and the promotion workflow; dev is unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from pipeline_contract import NO_MODEL, FrontDoorEnv
from pipeline_stacks.config import ConfigError, validate_config
from pipeline_stacks.pipeline import build_pipeline
from tests.cdk.support import SynthResult, cdk_json_context, synth_pipeline

ACCOUNT = "123456789012"
COMPONENTS = ("data", "training", "serving", "monitoring")


def pipeline_stages(result: SynthResult) -> list[dict[str, Any]]:
    assert result.pipeline.delivery is not None
    template = Template.from_json(result.templates[result.pipeline.delivery.stack_name])
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    return pipeline["Properties"]["Stages"]


def stack_names(actions: list[dict[str, Any]]) -> list[str]:
    return [a["Configuration"]["StackName"] for a in actions if a["Name"].endswith(".Deploy")]


# --------------------------------------------------------------------------- the delivery pipeline in prod


def test_prod_has_the_delivery_pipeline_dev_then_approved_prod(prod: SynthResult) -> None:
    stages = pipeline_stages(prod)
    assert [s["Name"] for s in stages] == ["Source", "Build", "UpdatePipeline", "Assets", "dev", "prod"]
    build = prod.pipeline.delivery.delivery.props  # type: ignore[union-attr]
    assert build.synth_step_commands == ["make test", "make synth ENV=prod CDK_OUT=cdk.out"]
    dev, prod_stage = stages[4]["Actions"], stages[5]["Actions"]
    # the stage stacks are the hand-deploy stacks (same CloudFormation names): data first, monitoring last
    order = {a["Configuration"]["StackName"]: a["RunOrder"] for a in dev if a["Name"].endswith(".Deploy")}
    assert set(order) == {f"llm-pipeline-dev-{c}" for c in COMPONENTS}
    assert min(order, key=order.__getitem__) == "llm-pipeline-dev-data"
    assert max(order, key=order.__getitem__) == "llm-pipeline-dev-monitoring"
    assert stack_names(prod_stage) == [f"llm-pipeline-prod-{c}" for c in COMPONENTS]
    (approval,) = [a for a in prod_stage if a["ActionTypeId"]["Category"] == "Approval"]
    assert approval["Name"] == "Approve-prod"
    assert approval["RunOrder"] < min(a["RunOrder"] for a in prod_stage if a["Name"].endswith(".Deploy"))


def test_prod_pipeline_and_promotion_are_nag_clean(prod: SynthResult) -> None:
    assert prod.unsuppressed_findings() == []


def test_a_cognito_dev_stage_gets_no_smoke_step_and_says_why(prod: SynthResult) -> None:
    """dev authorizes with Cognito (the default): the canary cannot authenticate, so no smoke step is added."""
    dev = pipeline_stages(prod)[4]["Actions"]
    assert not [a for a in dev if a["Name"].startswith("SmokeTest")]
    assert prod.pipeline.delivery is not None
    metadata = json.loads((prod.outdir / f"{prod.pipeline.delivery.artifact_id}.metadata.json").read_text())
    assert "No smoke test after stage 'dev'" in json.dumps(metadata)


@pytest.fixture(scope="module")
def iam_dev(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """prod's pipeline with a dev environment whose API uses IAM auth: the smoke test runs after dev."""
    environments = copy.deepcopy(cdk_json_context()["llm-pipeline:environments"])
    environments["dev"]["serving"]["auth"] = "iam"
    environments["dev"].setdefault("web", {})["enabled"] = False  # the web app signs in through Cognito
    return synth_pipeline(
        tmp_path_factory.mktemp("iam-dev"),
        env="prod",
        account=ACCOUNT,
        region="us-east-1",
        **{"llm-pipeline:environments": environments},
    )


def test_smoke_test_follows_dev_and_may_only_assume_devs_smoke_role(iam_dev: SynthResult) -> None:
    dev = pipeline_stages(iam_dev)[4]["Actions"]
    (smoke,) = [a for a in dev if a["Name"] == "SmokeTest-dev"]
    assert smoke["RunOrder"] > max(a["RunOrder"] for a in dev if a["Name"].endswith(".Deploy"))
    assert iam_dev.unsuppressed_findings() == []
    # the dev stage's serving stack has the role the smoke step assumes, trusting only the pipeline's CodeBuild role
    stage_dir = next(iam_dev.outdir.glob("assembly-*Stage-dev"))
    (serving_file,) = stage_dir.glob("*llmpipelinedevserving*.template.json")
    serving = Template.from_json(json.loads(serving_file.read_text()))
    roles = serving.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": "llm-pipeline-dev-smoke-test"}})
    (role,) = roles.values()
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, f":iam::{ACCOUNT}:role/llm-pipeline-delivery-smoke-dev",
        ]]}}
    }  # fmt: skip


# --------------------------------------------------------------------------- promotion in prod


def test_prod_serving_reads_the_live_model_parameter_at_deploy_time(prod: SynthResult) -> None:
    serving = prod.templates["llm-pipeline-prod-serving"]
    (param_id,) = [
        k
        for k, p in serving["Parameters"].items()
        if p["Type"] == "AWS::SSM::Parameter::Value<String>" and p["Default"] == "/llm-pipeline/prod/live-model-package"
    ]
    (condition,) = serving["Conditions"].values()
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": param_id}, NO_MODEL]}]}
    # no SageMaker model, config, endpoint or scaling while the parameter reads "none"
    hosting = ("AWS::SageMaker::", "AWS::ApplicationAutoScaling::")
    sagemaker = {k: r for k, r in serving["Resources"].items() if r["Type"].startswith(hosting)}
    assert {r["Type"] for r in sagemaker.values()} >= {"AWS::SageMaker::Model", "AWS::SageMaker::Endpoint"}
    assert all("Condition" in r for r in sagemaker.values())
    # the front door learns the live package (or "none": 503 no_model_deployed) from the same parameter
    functions = Template.from_json(serving).find_resources("AWS::Lambda::Function")
    front = next(f for k, f in functions.items() if k.startswith("FrontDoorFunction"))
    assert front["Properties"]["Environment"]["Variables"][FrontDoorEnv.LIVE_MODEL_PACKAGE_ARN] == {"Ref": param_id}


def test_prod_has_the_promotion_workflow_and_the_live_parameter_starts_at_none(prod: SynthResult) -> None:
    serving = prod.template("serving")
    serving.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    rules = serving.find_resources("AWS::Events::Rule")
    patterns = [r["Properties"]["EventPattern"] for r in rules.values()]
    assert {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["llm-pipeline-prod"], "ModelApprovalStatus": ["Approved"]},
    } in patterns
    training = prod.template("training")
    training.has_resource(
        "AWS::SSM::Parameter",
        {
            "Properties": {"Name": "/llm-pipeline/prod/live-model-package", "Value": NO_MODEL},
            "DeletionPolicy": "Retain",
        },
    )
    # champion/challenger reads the same parameter
    machines = training.find_resources("AWS::StepFunctions::StateMachine")
    assert any("ReadLiveModel" in json.dumps(m) for m in machines.values())
    # serving deploys after training, which creates the parameter
    manifest = json.loads((prod.outdir / "manifest.json").read_text())
    assert "llm-pipeline-prod-training" in manifest["artifacts"]["llm-pipeline-prod-serving"]["dependencies"]


# --------------------------------------------------------------------------- dev unchanged


def test_dev_has_no_delivery_no_promotion(dev: SynthResult) -> None:
    assert dev.pipeline.delivery is None and dev.pipeline.github is None
    assert set(dev.templates) == {f"llm-pipeline-dev-{c}" for c in COMPONENTS}
    assert "LIVE_MODEL_PACKAGE_ARN" not in json.dumps(dev.templates)
    assert not list(dev.outdir.glob("assembly-*"))


# --------------------------------------------------------------------------- GitHub Actions alternative


def test_github_deploy_role_stack_trusts_one_repository_environment(tmp_path: Path) -> None:
    config = validate_config(
        {
            "env_name": "prod",
            "account": ACCOUNT,
            "region": "us-east-1",
            "serving": {"backend": "bedrock"},
            "delivery": {"github": {"enabled": True, "repository": "acme/llm", "environment": "prod"}},
        }
    )
    app = cdk.App(outdir=str(tmp_path), context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    pipeline = build_pipeline(app, config, compliance_checks=False)
    assert pipeline.github is not None and pipeline.delivery is None
    template = Template.from_stack(pipeline.github)
    template.resource_count_is("AWS::IAM::OIDCProvider", 1)
    (role,) = template.find_resources("AWS::IAM::Role").values()
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/llm:environment:prod"
    )


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"promotion": {"enabled": True}}, r"promotion\.enabled=true with serving\.backend='bedrock'.*allowed"),
        (
            {"promotion": {"enabled": True}, "serving": {"backend": "sagemaker", "model_package_arn": "g/1"}},
            r"serving\.model_package_arn='g/1' with promotion\.enabled=true.*allowed: neither",
        ),
        ({"serving": {"backend": "sagemaker"}}, r"exactly one of serving\.model_package_arn.*promotion\.enabled"),
        (
            {"training": {"champion_challenger": True}},
            r"training\.champion_challenger=true.*allowed: promotion\.enabled=true",
        ),
        (
            {"delivery": {"enabled": True, "github": {"enabled": True, "repository": "a/b"}}},
            r"delivery\.enabled=true and delivery\.github\.enabled=true: allowed: one",
        ),
        ({"delivery": {"enabled": True, "accounts": {"dev": "210987654321"}}}, r"delivery\.accounts=.*needs account"),
        (
            {"delivery": {"connection_arn": "arn:aws:codeconnections:us-east-1:123456789012:connection/abc-1"}},
            r"delivery\.connection_arn=.*needs delivery\.repository",
        ),
        ({"delivery": {"github": {"enabled": True}}}, r"delivery\.github\.enabled=true needs delivery\.github\.repo"),
        (
            {"delivery": {"github": {"environment": "prod", "branch": "main"}}},
            r"delivery\.github\.environment='prod' and delivery\.github\.branch='main'",
        ),
        ({"delivery": {"accounts": {"dev": "12"}}}, r"delivery\.accounts\.dev = '12'"),
    ],
)
def test_bad_delivery_and_promotion_settings_name_key_value_and_allowed(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        validate_config({"env_name": "dev", **raw})


def test_prod_config_deploys_without_a_model_and_promotes(prod: SynthResult) -> None:
    config = prod.pipeline.config
    assert config.serving.model_package_arn is None and config.serving.model_data_prefix is None
    assert config.promotion.enabled and config.training.champion_challenger and config.delivery.enabled
    assert config.live_model_parameter_name == "/llm-pipeline/prod/live-model-package"
