"""``data_lake.*``: the S3 lake, its lifecycle and optional replication."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from pipeline_stacks.config._base import _KMS_KEY_ARN, BucketRole, Days, _Section

#: Days before objects move to Intelligent-Tiering (0: at once).
TieringDays = Annotated[int, Field(ge=0, le=3650)]


class ReplicationConfig(_Section):
    """Disaster-recovery replication of lake buckets (``data_lake.replication.*``)."""

    kms_key_arn: str = Field(pattern=_KMS_KEY_ARN, description="KMS key in the destination region for replicas.")
    buckets: dict[BucketRole, str] = Field(
        min_length=1,
        description='Bucket role -> destination bucket ARN (existing, versioned), e.g. {"raw": "arn:aws:s3:::dr-raw"}.',
    )

    @field_validator("buckets")
    @classmethod
    def _bucket_arns(cls, value: dict[str, str]) -> dict[str, str]:
        for role, arn in value.items():
            if not re.fullmatch(r"arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", arn):
                raise ValueError(f"buckets.{role}={arn!r} is not an S3 bucket ARN (arn:aws:s3:::NAME)")
        return value


class DataLakeConfig(_Section):
    """S3 data lake settings (``data_lake.*``)."""

    removal_policy: Literal["retain", "destroy"] = Field(
        "retain",
        description="What happens to buckets and the KMS key when the stack is deleted. "
        "'destroy' also empties the buckets (auto-delete); refused in prod.",
    )
    existing_kms_key_arn: str | None = Field(
        None,
        description="Use an existing customer-managed KMS key instead of creating one "
        "(its policy must allow this account's S3, Glue, SageMaker, Lambda and CloudWatch Logs).",
        pattern=_KMS_KEY_ARN,
    )
    raw_tiering_days: TieringDays = Field(30, description="Days before raw objects move to Intelligent-Tiering.")
    sanitized_tiering_days: TieringDays = Field(
        30, description="Days before sanitized objects move to Intelligent-Tiering."
    )
    noncurrent_version_expiry_days: Days = Field(
        90, description="Days after which non-current object versions are deleted (all buckets)."
    )
    quarantine_expiry_days: Days = Field(
        30, description="Days quarantined records are kept for investigation before expiry."
    )
    interactions_expiry_days: Days = Field(365, description="Days redacted prompts/responses/feedback are kept.")
    checkpoint_expiry_days: Days = Field(
        30, description="Days training checkpoints (artifacts bucket, checkpoints/) are kept."
    )
    access_log_expiry_days: int = Field(
        2190, ge=90, le=3650, description="Days S3 server access logs are kept (default 6 years, the HIPAA horizon)."
    )
    replication: ReplicationConfig | None = Field(None, description="Opt-in cross-region replication (DR).")
