"""The CloudWatch log groups the constructs create: encrypted with a KMS key, with a retention and removal policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

__all__ = ["LogGroupSettings", "LogSettings", "encrypted_log_group"]


class LogGroupSettings(Protocol):
    """The props fields a construct's log groups follow (every construct props with logs has both)."""

    @property
    def log_retention(self) -> logs.RetentionDays: ...

    @property
    def removal_policy(self) -> cdk.RemovalPolicy: ...


@dataclass(frozen=True)
class LogSettings:
    """:class:`LogGroupSettings` for a construct whose props do not carry both fields."""

    log_retention: logs.RetentionDays
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN


def encrypted_log_group(
    scope: Construct,
    construct_id: str,
    key: kms.IKey | None,
    settings: LogGroupSettings,
    *,
    name: str | None = None,
) -> logs.LogGroup:
    """A log group ``construct_id`` in ``scope`` encrypted with ``key``, kept ``settings.log_retention`` and removed
    per ``settings.removal_policy``; ``name`` fixes its name (services that log to a well-known group)."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        encryption_key=key,
        retention=settings.log_retention,
        removal_policy=settings.removal_policy,
    )
