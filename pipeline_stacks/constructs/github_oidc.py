"""GitHubDeployRole: GitHub Actions deploys through OIDC, with no long-lived AWS keys.

Creates (or imports) the account's GitHub OIDC identity provider and one role that

* only a workflow of **one repository** on **one branch** (``ref:refs/heads/<branch>``) or in **one GitHub
  environment** (``environment:<name>``) can assume: ``token.actions.githubusercontent.com:sub`` is matched with
  ``StringEquals`` (``StringLike`` only when the branch is a pattern such as ``release/*``) and ``:aud`` must be
  ``sts.amazonaws.com``;
* may do exactly one thing: ``sts:AssumeRole`` on the CDK bootstrap roles of the target account(s)
  (``cdk-<qualifier>-*-<account>-<region>``: deploy, file/image publishing, lookup), so what a deploy can change is
  what the bootstrap trust already allows ``cdk deploy``.

Usage::

    GitHubDeployRole(self, "GitHub", props=GitHubDeployRoleProps(repository="acme/llm", environment="prod"))

Example workflow: ``docs/github-actions-deploy.yml``. One provider per account: pass ``existing_provider_arn`` when
the account already has ``token.actions.githubusercontent.com``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from pipeline_stacks import compliance
from pipeline_stacks.iam import ManagedPolicyRole

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True, kw_only=True)
class GitHubDeployRoleProps:
    """``repository``: ``owner/name``. Give ``branch`` or ``environment`` (a GitHub environment: reviewers and
    branch rules live there), not both. ``target_accounts``/``region``: whose bootstrap roles may be assumed
    (default: this stack's account and region). ``cdk_qualifier``: the bootstrap qualifier (``hnb659fds`` unless
    bootstrapped with ``--qualifier``)."""

    repository: str
    branch: str | None = "main"
    environment: str | None = None
    role_name: str | None = None
    cdk_qualifier: str = "hnb659fds"
    target_accounts: tuple[str, ...] = ()
    region: str | None = None
    existing_provider_arn: str | None = None
    max_session_duration: cdk.Duration = field(default_factory=lambda: cdk.Duration.hours(1))

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", self.repository):
            raise ValueError(f"GitHubDeployRoleProps.repository={self.repository!r}: expected 'owner/name'")
        if (self.branch is None) == (self.environment is None):
            raise ValueError("GitHubDeployRoleProps: give branch or environment (exactly one)")
        if self.branch is not None and (not self.branch or self.branch == "*"):
            raise ValueError("GitHubDeployRoleProps.branch: name one branch (or a pattern like 'release/*'), not '*'")
        if not re.fullmatch(r"[a-z0-9]{1,10}", self.cdk_qualifier):
            raise ValueError(f"GitHubDeployRoleProps.cdk_qualifier={self.cdk_qualifier!r}")
        for account in self.target_accounts:
            if not re.fullmatch(r"\d{12}", account):
                raise ValueError(f"GitHubDeployRoleProps.target_accounts: {account!r} is not an account id")

    @property
    def subject(self) -> str:
        """The OIDC ``sub`` claim the role accepts."""
        if self.environment is not None:
            return f"repo:{self.repository}:environment:{self.environment}"
        return f"repo:{self.repository}:ref:refs/heads/{self.branch}"


class GitHubDeployRole(Construct):
    """OIDC provider + deploy role.

    Attributes: ``provider`` (created or imported), ``role``, ``bootstrap_role_arns``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, props: GitHubDeployRoleProps) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.provider: iam.IOidcProvider = (
            iam.OidcProviderNative.from_oidc_provider_arn(self, "Provider", props.existing_provider_arn)
            if props.existing_provider_arn
            else iam.OidcProviderNative(self, "Provider", url=f"https://{GITHUB_OIDC_HOST}", client_ids=[STS_AUDIENCE])
        )
        operator = "StringLike" if "*" in props.subject else "StringEquals"
        conditions: dict[str, dict[str, str]] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE}}
        conditions.setdefault(operator, {})[f"{GITHUB_OIDC_HOST}:sub"] = props.subject
        self.role = ManagedPolicyRole(
            self,
            "Role",
            role_name=props.role_name,
            assumed_by=iam.WebIdentityPrincipal(self.provider.oidc_provider_arn, conditions),
            description=f"GitHub Actions ({props.subject}): assume the CDK bootstrap roles to run cdk deploy",
            max_session_duration=props.max_session_duration,
        )
        accounts = props.target_accounts or (stack.account,)
        region = props.region or stack.region
        self.bootstrap_role_arns = [
            f"arn:{cdk.Aws.PARTITION}:iam::{account}:role/cdk-{props.cdk_qualifier}-*-{account}-{region}"
            for account in accounts
        ]
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkBootstrapRoles", actions=["sts:AssumeRole"], resources=self.bootstrap_role_arns
            )
        )
        compliance.acknowledge(
            self.role,
            "GitHubDeployRole.role",
            applies_to=tuple(compliance.resource_finding(self, arn) for arn in self.bootstrap_role_arns),
        )
