"""DataLake: the pipeline's KMS key and its six S3 buckets, with grant helpers.

Usage in any CDK app (one line, safe defaults)::

    lake = DataLake(self, "Lake")
    lake.grant_read_raw(my_role)

    # your own key, tunables, and an L2 override merged over the secure bucket defaults:
    DataLake(self, "Lake", key=my_key, props=DataLakeProps(removal_policy=cdk.RemovalPolicy.DESTROY),
             bucket_overrides=s3.BucketProps(event_bridge_enabled=True))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from pipeline_stacks import compliance
from pipeline_stacks.iam import ManagedPolicyRole, cloudwatch_logs_key_statement
from pipeline_stacks.overrides import consolidate_props


@dataclass(frozen=True, kw_only=True)
class LakeLifecycle:
    """Lifecycle horizons, in days, for the lake's buckets."""

    raw_tiering_days: int = 30
    sanitized_tiering_days: int = 30
    noncurrent_version_expiry_days: int = 90
    quarantine_expiry_days: int = 30
    interactions_expiry_days: int = 365
    checkpoint_expiry_days: int = 30
    access_log_expiry_days: int = 2190
    abort_incomplete_upload_days: int = 7


BUCKET_ROLES = ("raw", "sanitized", "quarantine", "artifacts", "interactions", "access_logs")


@dataclass(frozen=True, kw_only=True)
class LakeReplication:
    """Cross-region (or cross-account) replication for disaster recovery.

    ``destinations`` maps a bucket role (see :data:`BUCKET_ROLES`) to an existing, versioned
    destination bucket; ``kms_key`` is the destination region's key replicas are encrypted with.
    Buckets without a destination are not replicated (and acknowledged as such in compliance).
    """

    destinations: Mapping[str, s3.IBucket]
    kms_key: kms.IKey

    def __post_init__(self) -> None:
        unknown = sorted(set(self.destinations) - set(BUCKET_ROLES))
        if unknown:
            raise ValueError(
                f"LakeReplication.destinations has unknown bucket roles {unknown}; allowed: {BUCKET_ROLES}"
            )


class _LakeKey(kms.Key):
    """The lake's own key: drops the UNCONDITIONED ``logging.s3.amazonaws.com`` Encrypt/Decrypt/ReEncrypt grant
    that CDK's ``Bucket`` makes on the key of an access-log target bucket (``parseServerAccessLogs`` in
    aws-cdk-lib 2.275 calls ``grantEncryptDecrypt``); :meth:`DataLake._allow_service_log_delivery` grants what
    log delivery uses instead, conditioned on ``aws:SourceAccount``."""

    def grant_encrypt_decrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """Encrypt/decrypt for ``grantee``, except S3 log delivery (granted, conditioned, in the key policy)."""
        if getattr(grantee.grant_principal, "service", None) == "logging.s3.amazonaws.com":
            return iam.Grant.drop(grantee, "S3 log delivery: conditioned grant in the key policy instead")
        return super().grant_encrypt_decrypt(grantee)


@dataclass(frozen=True, kw_only=True)
class DataLakeProps:
    """Tunables of :class:`DataLake`; every field has a safe default.

    ``removal_policy`` / ``auto_delete_objects``: RETAIN by default; ``auto_delete_objects``
    requires ``RemovalPolicy.DESTROY`` and is meant for throw-away dev environments only.
    """

    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    auto_delete_objects: bool = False
    lifecycle: LakeLifecycle = field(default_factory=LakeLifecycle)
    replication: LakeReplication | None = None

    def __post_init__(self) -> None:
        if self.auto_delete_objects and self.removal_policy != cdk.RemovalPolicy.DESTROY:
            raise ValueError("DataLakeProps.auto_delete_objects=True requires removal_policy=RemovalPolicy.DESTROY")


class DataLake(Construct):
    """KMS-encrypted, versioned, TLS-only, private, access-logged S3 data lake.

    ``key``: bring your own customer-managed key (its policy must already allow
    ``logging.s3.amazonaws.com`` and CloudWatch Logs, which an imported key's policy cannot be
    changed to do); by default a new key with yearly rotation is created.
    ``bucket_overrides``: ``s3.BucketProps`` merged over every bucket's defaults; encryption, versioning,
    public-access block, TLS, object ownership, access logging and replication always stay ours.

    Attributes: ``key``, ``raw_bucket``, ``sanitized_bucket``, ``quarantine_bucket``,
    ``artifacts_bucket``, ``interactions_bucket``, ``access_logs_bucket``.
    Use the ``grant_*`` helpers instead of writing bucket or key policies by hand.
    """

    #: Key prefixes inside the artifacts bucket.
    CHECKPOINTS_PREFIX = "checkpoints/"
    MODELS_PREFIX = "models/"

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey | None = None,
        props: DataLakeProps | None = None,
        bucket_overrides: s3.BucketProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Deliver access logs through a bucket policy (ACLs are disabled by BucketOwnerEnforced),
        # whatever feature flags the host app was created with.
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        props = props or DataLakeProps()
        self.props = props
        self._bucket_overrides = bucket_overrides
        life = props.lifecycle
        stack = cdk.Stack.of(self)

        self.key: kms.IKey = key or _LakeKey(
            self,
            "Key",
            description=f"{stack.stack_name}: data lake, logs and pipeline data at rest",
            enable_key_rotation=True,
            removal_policy=props.removal_policy,
        )
        if isinstance(self.key, kms.Key):
            self._allow_service_log_delivery(self.key, stack)
        #: The S3 replication role, when ``props.replication`` is set (one role for all replicated buckets).
        self.replication_role: ManagedPolicyRole | None = None
        if props.replication is not None:
            self.replication_role = ManagedPolicyRole(
                self,
                "ReplicationRole",
                assumed_by=iam.ServicePrincipal("s3.amazonaws.com"),
                description="S3 cross-region replication of the data lake",
            )

        expire_noncurrent = s3.LifecycleRule(
            id="expire-noncurrent-versions",
            noncurrent_version_expiration=cdk.Duration.days(life.noncurrent_version_expiry_days),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(life.abort_incomplete_upload_days),
        )

        self.access_logs_bucket = self._bucket(
            "AccessLogs",
            role="access_logs",
            log_access=False,
            lifecycle_rules=[
                expire_noncurrent,
                s3.LifecycleRule(
                    id="archive-then-expire-logs",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=cdk.Duration.days(90),
                        )
                    ],
                    expiration=cdk.Duration.days(life.access_log_expiry_days),
                ),
            ],
        )
        compliance.acknowledge(self.access_logs_bucket, "DataLake.access_logs_bucket")

        self.raw_bucket = self._bucket(
            "Raw",
            role="raw",
            lifecycle_rules=[expire_noncurrent, self._tiering("tier-raw", life.raw_tiering_days)],
        )
        self._enable_event_bridge(self.raw_bucket)
        self.sanitized_bucket = self._bucket(
            "Sanitized",
            role="sanitized",
            lifecycle_rules=[expire_noncurrent, self._tiering("tier-sanitized", life.sanitized_tiering_days)],
        )
        # Sanitized knowledge documents start knowledge-base ingestion (KnowledgeBase's trigger rule).
        self._enable_event_bridge(self.sanitized_bucket)
        self.quarantine_bucket = self._bucket(
            "Quarantine",
            role="quarantine",
            lifecycle_rules=[
                expire_noncurrent,
                s3.LifecycleRule(id="expire-quarantine", expiration=cdk.Duration.days(life.quarantine_expiry_days)),
            ],
        )
        self.artifacts_bucket = self._bucket(
            "Artifacts",
            role="artifacts",
            lifecycle_rules=[
                expire_noncurrent,
                s3.LifecycleRule(
                    id="expire-checkpoints",
                    prefix=self.CHECKPOINTS_PREFIX,
                    expiration=cdk.Duration.days(life.checkpoint_expiry_days),
                ),
            ],
        )
        self.interactions_bucket = self._bucket(
            "Interactions",
            role="interactions",
            lifecycle_rules=[
                expire_noncurrent,
                s3.LifecycleRule(id="expire-interactions", expiration=cdk.Duration.days(life.interactions_expiry_days)),
            ],
        )

    # ------------------------------------------------------------------ grants

    def grant_read_raw(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read (get/list) raw landing objects, optionally under ``prefix``."""
        return self.raw_bucket.grant_read(grantee, self._pattern(prefix))

    def grant_write_raw(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Put raw landing objects (producers)."""
        return self.raw_bucket.grant_put(grantee, self._pattern(prefix))

    def grant_read_sanitized(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read sanitized objects (training)."""
        return self.sanitized_bucket.grant_read(grantee, self._pattern(prefix))

    def grant_write_sanitized(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Put sanitized objects (sanitization job)."""
        return self.sanitized_bucket.grant_put(grantee, self._pattern(prefix))

    def grant_write_quarantine(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Put quarantined records (sanitization job)."""
        return self.quarantine_bucket.grant_put(grantee, self._pattern(prefix))

    def grant_read_write_sanitized(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read, write and delete sanitized objects under ``prefix``: what a Spark writer needs (its output
        committer lists, renames and deletes temporary files next to the output)."""
        return self.sanitized_bucket.grant_read_write(grantee, self._pattern(prefix))

    def grant_read_write_quarantine(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read, write and delete quarantined records under ``prefix`` (a Spark writer, see above)."""
        return self.quarantine_bucket.grant_read_write(grantee, self._pattern(prefix))

    def grant_read_artifacts(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read checkpoints / model artifacts (evaluation, serving)."""
        return self.artifacts_bucket.grant_read(grantee, self._pattern(prefix))

    def grant_read_write_artifacts(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read and write checkpoints / model artifacts (training)."""
        return self.artifacts_bucket.grant_read_write(grantee, self._pattern(prefix))

    def grant_read_interactions(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Read redacted interaction logs (continuous learning)."""
        return self.interactions_bucket.grant_read(grantee, self._pattern(prefix))

    def grant_write_interactions(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Put redacted interaction logs and feedback (front door)."""
        return self.interactions_bucket.grant_put(grantee, self._pattern(prefix))

    def grant_put_interactions(self, grantee: iam.IGrantable, prefix: str = "") -> iam.Grant:
        """Put-only access for a writer that never reads (the front door): ``s3:PutObject`` under ``prefix``
        and ``kms:GenerateDataKey`` on the lake key only through S3 (``kms:ViaService``) for this bucket's
        objects (``kms:EncryptionContext:aws:s3:arn`` = the bucket ARN with an S3 Bucket Key, else the object
        ARN: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
        No retention, legal-hold, tagging or ``Abort*`` actions, no ``kms:Decrypt``/``Encrypt``/``ReEncrypt*``
        (what :meth:`grant_write_interactions` adds through ``Bucket.grant_put``)."""
        return self._grant_put_only(self.interactions_bucket, grantee, prefix)

    def grant_encrypt_decrypt(self, grantee: iam.IGrantable) -> iam.Grant:
        """Use the lake key directly (e.g. for SageMaker volumes, Glue security configurations)."""
        return self.key.grant_encrypt_decrypt(grantee)

    def grant_volume_encryption(self, grantee: iam.IGrantable) -> iam.Grant:
        """Encrypt EBS/ML storage volumes with the lake key (SageMaker jobs): encrypt/decrypt, DescribeKey
        and CreateGrant, the latter only for AWS services acting for the grantee (``kms:GrantIsForAWSResource``)."""
        grant = self.key.grant_encrypt_decrypt(grantee)
        self.key.grant(grantee, "kms:DescribeKey")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:CreateGrant"],
                resources=[self.key.key_arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        return grant

    @property
    def buckets(self) -> dict[str, s3.Bucket]:
        """All buckets by role name."""
        return {
            "raw": self.raw_bucket,
            "sanitized": self.sanitized_bucket,
            "quarantine": self.quarantine_bucket,
            "artifacts": self.artifacts_bucket,
            "interactions": self.interactions_bucket,
            "access_logs": self.access_logs_bucket,
        }

    # ------------------------------------------------------------------ internals

    def _grant_put_only(self, bucket: s3.Bucket, grantee: iam.IGrantable, prefix: str) -> iam.Grant:
        objects = bucket.arn_for_objects(self._pattern(prefix))
        grant = iam.Grant.add_to_principal(grantee=grantee, actions=["s3:PutObject"], resource_arns=[objects])
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:GenerateDataKey"],
            resource_arns=[self.key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{cdk.Stack.of(self).region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket.bucket_arn, objects]},
            },
        )
        return grant

    @staticmethod
    def _pattern(prefix: str) -> str:
        return f"{prefix.strip('/')}/*" if prefix.strip("/") else "*"

    @staticmethod
    def _tiering(rule_id: str, days: int) -> s3.LifecycleRule:
        return s3.LifecycleRule(
            id=rule_id,
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INTELLIGENT_TIERING,
                    transition_after=cdk.Duration.days(days),
                )
            ],
        )

    def _bucket(
        self,
        construct_id: str,
        *,
        role: str,
        lifecycle_rules: list[s3.LifecycleRule],
        log_access: bool = True,
    ) -> s3.Bucket:
        logs_bucket = self.access_logs_bucket if log_access else None
        replication = self.props.replication
        destination = replication.destinations.get(role) if replication else None
        secure = {
            "encryption": s3.BucketEncryption.KMS,
            "encryption_key": self.key,
            "bucket_key_enabled": True,
            "versioned": True,
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "enforce_ssl": True,
            "minimum_tls_version": 1.2,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "server_access_logs_bucket": logs_bucket,
            "server_access_logs_prefix": f"{construct_id.lower()}/" if logs_bucket else None,
            "replication_role": self.replication_role if destination is not None else None,
            "replication_rules": (
                [
                    s3.ReplicationRule(
                        destination=destination,
                        kms_key=replication.kms_key,
                        sse_kms_encrypted_objects=True,
                        delete_marker_replication=True,
                        priority=1,
                    )
                ]
                if destination is not None and replication is not None
                else None
            ),
        }
        defaults = {
            "lifecycle_rules": lifecycle_rules,
            "removal_policy": self.props.removal_policy,
            "auto_delete_objects": self.props.auto_delete_objects,
        }
        bucket = s3.Bucket(
            self,
            construct_id,
            **consolidate_props(
                self, defaults=defaults, overrides=self._bucket_overrides, enforced=secure, what="bucket_overrides"
            ),
        )
        if destination is None or replication is None or self.replication_role is None:
            compliance.acknowledge(bucket, "DataLake.bucket_without_replication")
        else:
            self._grant_replication(self.replication_role, bucket, destination, replication.kms_key)
        return bucket

    def _grant_replication(
        self, role: ManagedPolicyRole, source: s3.Bucket, destination: s3.IBucket, destination_key: kms.IKey
    ) -> None:
        """The permissions S3 replication needs, for exactly one source/destination pair."""
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetReplicationConfiguration", "s3:ListBucket"], resources=[source.bucket_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[source.arn_for_objects("*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                resources=[destination.arn_for_objects("*")],
            )
        )
        self.key.grant_decrypt(role)
        role.add_to_policy(iam.PolicyStatement(actions=["kms:Encrypt"], resources=[destination_key.key_arn]))
        compliance.acknowledge(
            role,
            "DataLake.replication_role",
            applies_to=(compliance.objects_finding(source), compliance.objects_finding(destination)),
        )

    @staticmethod
    def _enable_event_bridge(bucket: s3.Bucket) -> None:
        """Send the bucket's object events to EventBridge.

        Set on the bucket resource itself: the L2 ``event_bridge_enabled`` flag deploys a
        notifications custom-resource Lambda (managed policy, inline policy) for the same effect.
        """
        cfn_bucket = bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
        )

    @staticmethod
    def _allow_service_log_delivery(key: kms.Key, stack: cdk.Stack) -> None:
        """Let S3 server-access-log delivery and CloudWatch Logs use the key, scoped to this account.

        Log delivery is conditioned on ``aws:SourceAccount``: S3 documents ``aws:SourceAccount`` and
        ``aws:SourceArn`` (the source bucket) for its logging service principal in the target bucket's policy
        (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html, written here
        by CDK per source bucket); the key statement keeps only the account, which covers all five sources.
        CloudWatch Logs is conditioned on the encryption context of this account's log groups
        (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
        """
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowS3ServerAccessLogDelivery",
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        key.add_to_resource_policy(cloudwatch_logs_key_statement(stack, "AllowCloudWatchLogsInThisAccount"))
