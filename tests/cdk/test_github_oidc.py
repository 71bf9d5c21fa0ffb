"""GitHubDeployRole: trust limited to one repository + branch/environment; may only assume the bootstrap roles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from pipeline_stacks import compliance
from pipeline_stacks.constructs.github_oidc import GitHubDeployRole, GitHubDeployRoleProps
from tests.cdk.support import cdk_json_context

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def synth(tmp_path: Path, props: GitHubDeployRoleProps) -> tuple[Template, list[str]]:
    ctx = {**cdk_json_context(), "@aws-cdk/core:failSynthOnValidationErrors": False}
    app = cdk.App(outdir=str(tmp_path), context=ctx)
    stack = cdk.Stack(app, "github", env=ENV)
    GitHubDeployRole(stack, "GitHub", props=props)
    compliance.add_compliance_checks(app)
    app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    findings = [v["ruleName"] for p in report["pluginReports"] for v in p["violations"]]
    return Template.from_json(json.loads((tmp_path / "github.template.json").read_text())), findings


def role_of(template: Template) -> dict[str, Any]:
    (role,) = template.find_resources("AWS::IAM::Role").values()
    return role["Properties"]


def test_trust_is_one_repository_and_branch_with_the_sts_audience(tmp_path: Path) -> None:
    template, findings = synth(tmp_path, GitHubDeployRoleProps(repository="acme/llm", branch="main"))
    (statement,) = role_of(template)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/llm:ref:refs/heads/main",
        }
    }
    assert "Federated" in statement["Principal"]
    (provider,) = template.find_resources("AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    assert findings == []


def test_environment_trust_and_only_bootstrap_roles_may_be_assumed(tmp_path: Path) -> None:
    props = GitHubDeployRoleProps(
        repository="acme/llm", branch=None, environment="prod", target_accounts=("123456789012", "210987654321"),
        existing_provider_arn="arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    )  # fmt: skip
    template, findings = synth(tmp_path, props)
    (statement,) = role_of(template)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == (
        "repo:acme/llm:environment:prod"
    )
    assert not template.find_resources("AWS::IAM::OIDCProvider")  # imported
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy").values()
    (grant,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert grant["Action"] == "sts:AssumeRole"
    resources = [json.dumps(r) for r in grant["Resource"]]
    assert len(resources) == 2
    for account in ("123456789012", "210987654321"):
        assert any(f":iam::{account}:role/cdk-hnb659fds-*-{account}-eu-west-1" in r for r in resources)
    assert findings == []


def test_a_branch_pattern_uses_string_like(tmp_path: Path) -> None:
    template, _ = synth(tmp_path, GitHubDeployRoleProps(repository="acme/llm", branch="release/*"))
    (statement,) = role_of(template)["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:acme/llm:ref:refs/heads/release/*"
    }
    assert statement["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"repository": "acme"},
        {"repository": "acme/llm", "branch": "*"},
        {"repository": "acme/llm", "branch": None},
        {"repository": "acme/llm", "branch": "main", "environment": "prod"},
        {"repository": "acme/llm", "target_accounts": ("1234",)},
    ],
)
def test_open_trust_is_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        GitHubDeployRoleProps(**kwargs)
