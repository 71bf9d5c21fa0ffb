"""Data stack: the data lake (and, later in the flow, its sanitization job)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from pipeline_stacks.config import PipelineConfig, ReplicationConfig
from pipeline_stacks.constructs import DataLake, DataLakeProps, LakeLifecycle, LakeReplication


class DataStack(cdk.Stack):
    """Holds the :class:`DataLake`; every later stack reads its buckets and key from here."""

    def __init__(self, scope: Construct, construct_id: str, *, config: PipelineConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        lake_cfg = config.data_lake
        destroy = lake_cfg.removal_policy == "destroy"
        key = (
            kms.Key.from_key_arn(self, "ImportedKey", lake_cfg.existing_kms_key_arn)
            if lake_cfg.existing_kms_key_arn
            else None
        )
        self.data_lake = DataLake(
            self,
            "Lake",
            DataLakeProps(
                encryption_key=key,
                removal_policy=cdk.RemovalPolicy.DESTROY if destroy else cdk.RemovalPolicy.RETAIN,
                auto_delete_objects=destroy,
                lifecycle=LakeLifecycle(
                    raw_tiering_days=lake_cfg.raw_tiering_days,
                    sanitized_tiering_days=lake_cfg.sanitized_tiering_days,
                    noncurrent_version_expiry_days=lake_cfg.noncurrent_version_expiry_days,
                    quarantine_expiry_days=lake_cfg.quarantine_expiry_days,
                    interactions_expiry_days=lake_cfg.interactions_expiry_days,
                    checkpoint_expiry_days=lake_cfg.checkpoint_expiry_days,
                    access_log_expiry_days=lake_cfg.access_log_expiry_days,
                ),
                replication=self._replication(lake_cfg.replication),
            ),
        )

    def _replication(self, cfg: ReplicationConfig | None) -> LakeReplication | None:
        if cfg is None:
            return None
        return LakeReplication(
            destinations={
                role: s3.Bucket.from_bucket_arn(self, f"Replica-{role}", arn) for role, arn in cfg.buckets.items()
            },
            kms_key=kms.Key.from_key_arn(self, "ReplicaKey", cfg.kms_key_arn),
        )
