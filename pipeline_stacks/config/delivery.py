"""``delivery.*``: the CI/CD delivery pipeline (CDK Pipelines on CodePipeline) and the GitHub Actions deploy role."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from pipeline_stacks.config._base import OptionalAccountId, _Section

_REPOSITORY = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
_CONNECTION = r"^arn:aws[\w-]*:(codestar-connections|codeconnections):[\w-]+:\d{12}:connection/[\w-]+$"
_OIDC_PROVIDER = r"^arn:aws[\w-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"


class DeliveryAccounts(_Section):
    """Target accounts of the pipeline's stages (``delivery.accounts.*``), in the pipeline's region."""

    dev: OptionalAccountId = Field(
        None,
        description="Account of the dev stage (bootstrapped with --trust <pipeline account>); null: the pipeline's "
        "account (``account``).",
    )
    prod: OptionalAccountId = Field(
        None,
        description="Account of the prod stage (bootstrapped with --trust <pipeline account>); null: the pipeline's "
        "account (``account``).",
    )


class GitHubDeployConfig(_Section):
    """GitHub Actions deploys through OIDC instead of the pipeline (``delivery.github.*``)."""

    enabled: bool = Field(
        False,
        description="Create the GitHub OIDC provider and a deploy role (stack <project>-<env>-github) that may only "
        "assume this account's CDK bootstrap roles. The alternative to delivery.enabled, not both.",
    )
    repository: str | None = Field(
        None, pattern=_REPOSITORY, description="'owner/name' allowed to assume the role; null: delivery.repository."
    )
    environment: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]{1,255}$",
        description="GitHub environment whose jobs may assume the role (its reviewers are the approval). "
        "Instead of branch.",
    )
    branch: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_./*-]{1,255}$",
        description="Branch whose workflows may assume the role ('release/*' patterns allowed, not '*'); "
        "default 'main' when environment is null.",
    )
    existing_provider_arn: str | None = Field(
        None,
        pattern=_OIDC_PROVIDER,
        description="The account's existing token.actions.githubusercontent.com OIDC provider (one per account).",
    )

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if self.environment is not None and self.branch is not None:
            raise ValueError(
                f"delivery.github.environment={self.environment!r} and delivery.github.branch={self.branch!r}: "
                "allowed: one of them (an environment carries its own branch rules)"
            )
        if self.branch == "*":
            raise ValueError("delivery.github.branch='*' is not allowed; allowed: one branch or a pattern 'release/*'")
        return self

    @property
    def subject_branch(self) -> str | None:
        """The branch the role trusts (``main`` unless an environment or another branch is set)."""
        if self.environment is not None:
            return None
        return self.branch or "main"


class DeliveryConfig(_Section):
    """The delivery pipeline (``delivery.*``): source, stages' accounts, smoke test; GitHub Actions alternative."""

    enabled: bool = Field(
        False,
        description="Add the delivery pipeline stack <project>-delivery (in ``account``/``region``): Source -> "
        "Build (make test, make synth) -> UpdatePipeline -> Assets -> dev -> SmokeTest -> approval -> prod.",
    )
    pipeline_name: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9.@_-]{1,80}$",
        description="CodePipeline name (also the prefix of its smoke-test roles); default '<project_name>-delivery'.",
    )
    connection_arn: str | None = Field(
        None,
        pattern=_CONNECTION,
        description="CodeConnections connection (GitHub, GitLab, Bitbucket) the source comes from; null: the "
        "pipeline's own S3 source bucket (upload `git archive` to s3_object_key).",
    )
    repository: str | None = Field(
        None, pattern=_REPOSITORY, description="'owner/name' of the repository (with connection_arn)."
    )
    branch: str = Field(
        "main", pattern=r"^[A-Za-z0-9_./-]{1,255}$", description="Branch the pipeline deploys (with connection_arn)."
    )
    s3_object_key: str = Field(
        "source/source.zip",
        pattern=r"^[A-Za-z0-9!_.*'()/-]+\.zip$",
        description="S3 source (no connection_arn): the zip key in the source bucket; each new version starts a run.",
    )
    accounts: DeliveryAccounts = Field(default_factory=DeliveryAccounts)
    smoke_allow_no_model: bool = Field(
        False,
        description="The post-deploy smoke test accepts 503 no_model_deployed (a SageMaker stage before its first "
        "promotion).",
    )
    github: GitHubDeployConfig = Field(default_factory=GitHubDeployConfig)

    @model_validator(mode="after")
    def _source(self) -> Self:
        if self.connection_arn and not self.repository:
            raise ValueError(
                f"delivery.connection_arn={self.connection_arn!r} needs delivery.repository ('owner/name'); "
                "allowed: both, or neither (S3 source)"
            )
        if self.enabled and self.github.enabled:
            raise ValueError(
                "delivery.enabled=true and delivery.github.enabled=true: allowed: one deploy path (the pipeline or "
                "GitHub Actions), not both against the same stacks"
            )
        if self.github.enabled and not (self.github.repository or self.repository):
            raise ValueError(
                "delivery.github.enabled=true needs delivery.github.repository (or delivery.repository): 'owner/name'"
            )
        return self
