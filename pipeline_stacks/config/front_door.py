"""``serving.*`` keys of the API front door (API Gateway, WAF, auth, the handler Lambda)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from pipeline_stacks import validation
from pipeline_stacks.config._base import (
    API_GATEWAY_STREAM_TIMEOUT_S,
    HOSTNAME_PATTERN,
    WEB_ADAPTER_LAYER_VERSION,
    Days,
    LogRetentionDays,
    SecurityGroupId,
    SubnetId,
    arn,
)
from pipeline_stacks.config.serving_base import ServingBase


class FrontDoorSettings(ServingBase):
    """``serving.*`` keys of the API front door."""

    auth: Literal["cognito", "iam"] = Field(
        "cognito",
        description="How API callers authenticate: 'cognito' (user pool JWT in the Authorization header) "
        "or 'iam' (SigV4-signed requests). An API key (x-api-key) is required on top of either.",
    )
    existing_user_pool_arn: str | None = Field(
        None,
        pattern=arn("cognito-idp", "userpool/[a-z0-9-]+_[0-9A-Za-z]+"),
        description="auth=cognito: authorize against this existing user pool instead of creating one.",
    )
    mfa: Literal["optional", "required"] = Field(
        "required", description="auth=cognito, created pool: MFA (TOTP) for users; 'required' in prod."
    )
    throttle_rate: float = Field(
        50, ge=1, le=10000, description="Steady-state requests/second per API key (usage plan) and for the stage."
    )
    throttle_burst: int = Field(100, ge=1, le=5000, description="Burst requests per API key and for the stage.")
    quota_per_day: int = Field(10000, ge=1, le=100_000_000, description="Requests per API key per day.")
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed by CORS (e.g. https://app.example.com); empty: no CORS. "
        "'*' is refused in prod.",
    )
    waf_rate_limit: int = Field(
        1000, ge=10, le=2_000_000_000, description="WAF: requests per client IP per evaluation window before blocking."
    )
    waf_rate_window_seconds: Literal[60, 120, 300, 600] = Field(
        300, description="WAF rate-based rule evaluation window in seconds."
    )
    lambda_memory_mb: int = Field(1024, ge=128, le=10240, description="Front-door Lambda memory (MB).")
    lambda_timeout_seconds: int = Field(
        120,
        ge=5,
        le=API_GATEWAY_STREAM_TIMEOUT_S,
        description="Front-door Lambda timeout, also the API Gateway integration timeout: with response "
        f"transfer mode STREAM a REST integration may run up to {API_GATEWAY_STREAM_TIMEOUT_S} s (15 min) "
        "instead of 29 s.",
    )
    model_read_timeout_seconds: float = Field(
        20,
        ge=1,
        le=API_GATEWAY_STREAM_TIMEOUT_S - 5,
        description="How long the handler waits for the model's next bytes (read timeout, one attempt); must "
        "leave 5 s of lambda_timeout_seconds for connecting and storing the interaction.",
    )
    reserved_concurrency: int | None = Field(
        20,
        ge=1,
        le=10000,
        description="Reserved concurrency of the front-door Lambda (caps model load); null: unreserved.",
    )
    max_prompt_chars: int = Field(
        8000,
        ge=1,
        le=500_000,
        description="Longest accepted prompt in characters (all message contents of a chat request together); "
        "longer -> 400 context_length_exceeded (bodies over 1 MiB -> 413). Enforced by the handler and, for "
        "/v1/generate, the API Gateway request model.",
    )
    max_tokens_cap: int = Field(
        4096,
        ge=1,
        le=1_000_000,
        description="Largest max_tokens / max_completion_tokens a caller may ask for "
        "(larger -> 400 naming the parameter).",
    )
    conversation_ttl_days: Days = Field(
        90,
        description="Stored conversations expire (DynamoDB TTL) this many days after their last update.",
    )
    guardrail_stream_mode: Literal["sync", "async"] = Field(
        "sync",
        description="Bedrock guardrail on streamed answers: 'sync' (each chunk is checked before it is sent; "
        "adds latency) or 'async' (chunks are sent at once and checked in the background; a violation ends the "
        "stream after the fact).",
    )
    web_adapter_layer_version: int = Field(
        WEB_ADAPTER_LAYER_VERSION,
        ge=1,
        le=1000,
        description="Version of the AWS Lambda Web Adapter layer "
        "(arn:aws:lambda:<region>:753240598075:layer:LambdaAdapterLayerX86:<version>) the chat Lambda runs on.",
    )
    web_adapter_layer_arn: str | None = Field(
        None,
        pattern=arn("lambda", r"layer:[A-Za-z0-9_-]+:\d+"),
        description="Full Lambda Web Adapter layer ARN (e.g. aws-cn/GovCloud or a self-published copy); "
        "overrides web_adapter_layer_version.",
    )
    log_retention_days: LogRetentionDays = Field(
        365, description="Retention of the API access/execution, WAF and Lambda log groups (a CloudWatch value)."
    )
    manage_api_gateway_account_role: bool = Field(
        True,
        description="Set this account+region's API Gateway CloudWatch Logs role (needed for execution logs; an "
        "account-wide setting: turn off if your platform already manages it).",
    )
    custom_domain_name: str | None = Field(
        None,
        pattern=HOSTNAME_PATTERN,
        max_length=253,
        description="Serve the API on this hostname (regional custom domain, TLS 1.2) and disable the default "
        "execute-api endpoint; point a DNS alias at the domain's regional target after deploy.",
    )
    custom_domain_certificate_arn: str | None = Field(
        None,
        pattern=arn("acm", "certificate/[0-9a-f-]{36}"),
        description="custom_domain_name: ACM certificate covering it, in the pipeline's region.",
    )
    lambda_vpc_id: str | None = Field(
        None, pattern=r"^vpc-[0-9a-f]{8,17}$", description="Run the front-door Lambda in this VPC (existing)."
    )
    lambda_subnet_ids: list[SubnetId] = Field(
        default_factory=list, description="lambda_vpc_id: private subnets of the Lambda (subnet-...)."
    )
    lambda_security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, description="lambda_vpc_id: security groups of the Lambda (sg-...)."
    )

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        validation.check_cors_origins(value, where="cors_allowed_origins")
        return value

    @model_validator(mode="after")
    def _front_door_consistency(self) -> Self:
        if self.auth == "iam" and self.existing_user_pool_arn:
            raise ValueError(
                f"serving.existing_user_pool_arn={self.existing_user_pool_arn!r} is only used with "
                "serving.auth='cognito' (got 'iam'); remove it or set auth='cognito'"
            )
        if bool(self.custom_domain_name) != bool(self.custom_domain_certificate_arn):
            raise ValueError(
                f"serving.custom_domain_name={self.custom_domain_name!r} and serving.custom_domain_certificate_arn="
                f"{self.custom_domain_certificate_arn!r} must be set together (or both left unset)"
            )
        vpc = (self.lambda_vpc_id, self.lambda_subnet_ids, self.lambda_security_group_ids)
        if any(vpc) and not all(vpc):
            raise ValueError(
                f"serving.lambda_vpc_id={self.lambda_vpc_id!r}, lambda_subnet_ids={self.lambda_subnet_ids!r} and "
                f"lambda_security_group_ids={self.lambda_security_group_ids!r} must be set together (or all left empty)"
            )
        validation.check_vpc_ids(self.lambda_subnet_ids, "subnet", where="serving.lambda_subnet_ids")
        validation.check_vpc_ids(self.lambda_security_group_ids, "sg", where="serving.lambda_security_group_ids")
        if self.model_read_timeout_seconds + 5 > self.lambda_timeout_seconds:
            raise ValueError(
                f"serving.model_read_timeout_seconds={self.model_read_timeout_seconds} must be at least 5 s "
                f"below serving.lambda_timeout_seconds={self.lambda_timeout_seconds} (connect + interaction log)"
            )
        return self
