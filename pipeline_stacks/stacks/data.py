"""Data stack: the data lake, its PII/PHI sanitization job (Glue + the "data" state machine) and the knowledge base
over the sanitized ``knowledge/`` documents (``rag.*``)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from pipeline_stacks.config import (
    LOG_RETENTION_DAYS,
    PipelineConfig,
    RagConfig,
    ReplicationConfig,
    SanitizationConfig,
)
from pipeline_stacks.constructs import (
    DataLake,
    DataLakeProps,
    KnowledgeBase,
    KnowledgeBaseProps,
    LakeLifecycle,
    LakeReplication,
    PiiSanitization,
    PiiSanitizationProps,
    SanitizeOptions,
)


class DataStack(cdk.Stack):
    """Holds the :class:`DataLake`, :class:`PiiSanitization` and (``rag.enabled``) the :class:`KnowledgeBase`;
    later stacks read the lake, the sanitization hooks and the knowledge base from here."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PipelineConfig,
        **kwargs: Any,
    ) -> None:
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
            key=key,
            props=DataLakeProps(
                removal_policy=cdk.RemovalPolicy.DESTROY if destroy else cdk.RemovalPolicy.RETAIN,
                auto_delete_objects=destroy,
                lifecycle=lake_cfg.to_props(LakeLifecycle),
                replication=self._replication(lake_cfg.replication),
            ),
        )
        self.sanitization = PiiSanitization(
            self,
            "Sanitization",
            data_lake=self.data_lake,
            props=self._sanitization_props(config, destroy=destroy),
        )
        self.knowledge_base: KnowledgeBase | None = (
            KnowledgeBase(
                self,
                "Knowledge",
                data_lake=self.data_lake,
                props=self._knowledge_base_props(config, destroy=destroy),
            )
            if config.rag.enabled
            else None
        )

    def _sanitization_props(self, config: PipelineConfig, *, destroy: bool) -> PiiSanitizationProps:
        cfg: SanitizationConfig = config.sanitization
        secret = (
            secretsmanager.Secret.from_secret_complete_arn(self, "ImportedHashKey", cfg.existing_hash_key_secret_arn)
            if cfg.existing_hash_key_secret_arn
            else None
        )
        # same-named keys (worker_type, max_workers, raw_prefix, ...; text_fields, entities, ...) are copied
        return cfg.to_props(
            PiiSanitizationProps,
            name_prefix=f"{config.project_name}-{config.env_name}",
            options=cfg.to_props(SanitizeOptions),
            # Sanitized records land inside the training split's prefix, next to the continuous-learning
            # output, so the training channel reads curated data and new interactions together.
            sanitized_prefix=f"{config.training.train_prefix}curated/",
            extra_output_prefixes=(
                (config.training.continuous_learning_output_prefix,) if config.training.continuous_learning else ()
            ),
            timeout=cdk.Duration.minutes(cfg.timeout_minutes),
            trigger_on_upload=cfg.trigger == "object_created",
            batch_window=cdk.Duration.seconds(cfg.batch_window_seconds),
            log_retention=_retention(cfg.log_retention_days),
            hash_key_secret=secret,
            # the document pass: raw knowledge/ -> redacted knowledge/ (+ metadata sidecars) for the knowledge base
            knowledge_prefix=config.rag.knowledge_prefix if config.rag.enabled else None,
            removal_policy=cdk.RemovalPolicy.DESTROY if destroy else cdk.RemovalPolicy.RETAIN,
        )

    def _knowledge_base_props(self, config: PipelineConfig, *, destroy: bool) -> KnowledgeBaseProps:
        cfg: RagConfig = config.rag
        # same-named keys (vector_store, kendra_index_arn, embedding_dimensions, knowledge_prefix) are copied
        return cfg.to_props(
            KnowledgeBaseProps,
            name_prefix=f"{config.project_name}-{config.env_name}",
            embedding_model_id=cfg.embedding_model,
            chunking_strategy=cfg.chunking.strategy,
            chunk_max_tokens=cfg.chunking.max_tokens,
            chunk_overlap_percent=cfg.chunking.overlap_percent,
            batch_window=cdk.Duration.minutes(cfg.batch_window_minutes),
            log_retention=_retention(config.sanitization.log_retention_days),
            removal_policy=cdk.RemovalPolicy.DESTROY if destroy else cdk.RemovalPolicy.RETAIN,
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


def _retention(days: int) -> logs.RetentionDays:
    """The ``RetentionDays`` member for a (validated) number of days (both lists are in ascending order)."""
    finite = [member for member in logs.RetentionDays if member is not logs.RetentionDays.INFINITE]
    return dict(zip(LOG_RETENTION_DAYS, finite, strict=True))[days]
