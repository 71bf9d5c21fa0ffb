"""Fine-grained assertions for every security property of the DataLake."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template

from pipeline_stacks.constructs import DataLake, DataLakeProps, LakeLifecycle
from tests.cdk.support import SynthResult

LAKE_BUCKETS = 6


def _buckets(template: Template) -> dict[str, dict[str, Any]]:
    return template.find_resources("AWS::S3::Bucket")


def _lake_bucket_ids(result: SynthResult) -> dict[str, str]:
    lake = result.pipeline.data.data_lake
    stack = result.pipeline.data
    return {
        role: stack.resolve(stack.get_logical_id(bucket.node.default_child))  # type: ignore[arg-type]
        for role, bucket in lake.buckets.items()
    }


def _lake_key_id(result: SynthResult) -> str:
    lake = result.pipeline.data.data_lake
    return cdk.Stack.of(lake).get_logical_id(lake.key.node.default_child)  # type: ignore[arg-type]


def test_six_buckets_and_one_rotating_lake_key(dev: SynthResult) -> None:
    t = dev.template("data")
    t.resource_count_is("AWS::S3::Bucket", LAKE_BUCKETS)
    keys = t.find_resources("AWS::KMS::Key")
    lake_keys = [k for k, v in keys.items() if "data lake" in v["Properties"].get("Description", "")]
    assert lake_keys == [_lake_key_id(dev)]
    # the only other key is the knowledge base's own vector-store key (rag.enabled)
    assert len(keys) == 1 + (dev.pipeline.data.knowledge_base is not None)
    assert all(v["Properties"]["EnableKeyRotation"] is True for v in keys.values())


def test_every_bucket_is_kms_encrypted_with_the_lake_key_and_bucket_keys(dev: SynthResult) -> None:
    t = dev.template("data")
    key_id = _lake_key_id(dev)
    for props in (b["Properties"] for b in _buckets(t).values()):
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert rule["BucketKeyEnabled"] is True


def test_every_bucket_is_versioned_private_and_owner_enforced(dev: SynthResult) -> None:
    for props in (b["Properties"] for b in _buckets(dev.template("data")).values()):
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_every_bucket_policy_denies_plain_http_and_old_tls(dev: SynthResult) -> None:
    t = dev.template("data")
    policies = t.find_resources("AWS::S3::BucketPolicy")
    ids = _lake_bucket_ids(dev)
    covered = set()
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
        assert any(s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in denies)
        covered.add(policy["Properties"]["Bucket"]["Ref"])
    assert covered == set(ids.values())


def test_access_logging_goes_to_the_log_bucket(dev: SynthResult) -> None:
    ids = _lake_bucket_ids(dev)
    buckets = _buckets(dev.template("data"))
    for role, logical_id in ids.items():
        logging = buckets[logical_id]["Properties"].get("LoggingConfiguration")
        if role == "access_logs":
            assert logging is None
        else:
            assert logging["DestinationBucketName"] == {"Ref": ids["access_logs"]}
            assert logging["LogFilePrefix"] == f"{role}/"


def test_lifecycle_rules_per_bucket(dev: SynthResult) -> None:
    ids = _lake_bucket_ids(dev)
    buckets = _buckets(dev.template("data"))

    def rules(role: str) -> dict[str, dict[str, Any]]:
        return {r["Id"]: r for r in buckets[ids[role]]["Properties"]["LifecycleConfiguration"]["Rules"]}

    for role in ids:
        assert rules(role)["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rules("raw")["tier-raw"]["Transitions"] == [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}]
    assert rules("sanitized")["tier-sanitized"]["Transitions"][0]["StorageClass"] == "INTELLIGENT_TIERING"
    assert rules("quarantine")["expire-quarantine"]["ExpirationInDays"] == 30
    assert rules("interactions")["expire-interactions"]["ExpirationInDays"] == 90  # dev block of cdk.json
    assert rules("artifacts")["expire-checkpoints"] == {
        "Id": "expire-checkpoints",
        "Prefix": "checkpoints/",
        "ExpirationInDays": 30,
        "Status": "Enabled",
    }
    assert rules("access_logs")["archive-then-expire-logs"]["ExpirationInDays"] == 365


def test_raw_and_sanitized_buckets_send_events_to_eventbridge_without_a_custom_resource(dev: SynthResult) -> None:
    ids = _lake_bucket_ids(dev)
    buckets = _buckets(dev.template("data"))
    for role in ("raw", "sanitized"):  # raw: sanitization trigger; sanitized: knowledge-base ingestion trigger
        assert buckets[ids[role]]["Properties"]["NotificationConfiguration"] == {
            "EventBridgeConfiguration": {"EventBridgeEnabled": True}
        }
    assert all(
        "NotificationConfiguration" not in buckets[i]["Properties"]
        for r, i in ids.items()
        if r not in ("raw", "sanitized")
    )
    dev.template("data").resource_count_is("Custom::S3BucketNotifications", 0)


def test_key_policy_lets_log_delivery_use_the_key_only_from_this_account(dev: SynthResult) -> None:
    dev.template("data").has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Sid": "AllowS3ServerAccessLogDelivery",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                            }
                        )
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_data_is_retained_by_default_and_in_prod(fixture: str, request: pytest.FixtureRequest) -> None:
    t = request.getfixturevalue(fixture).template("data")
    for resource_type in ("AWS::S3::Bucket", "AWS::KMS::Key"):
        for resource in t.find_resources(resource_type).values():
            assert resource["DeletionPolicy"] == "Retain"
            assert resource["UpdateReplacePolicy"] == "Retain"
    t.resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_prod_has_termination_protection_and_pinned_env(prod: SynthResult) -> None:
    stack = prod.pipeline.data
    assert stack.termination_protection is True
    assert (stack.account, stack.region) == ("123456789012", "us-east-1")


def test_dev_opt_in_destroys_and_auto_deletes(dev_variant: SynthResult) -> None:
    t = dev_variant.template("data")
    for bucket in t.find_resources("AWS::S3::Bucket").values():
        assert bucket["DeletionPolicy"] == "Delete"
    t.resource_count_is("Custom::S3AutoDeleteObjects", LAKE_BUCKETS)


def test_replication_is_configured_only_for_listed_buckets(dev_variant: SynthResult) -> None:
    ids = _lake_bucket_ids(dev_variant)
    buckets = _buckets(dev_variant.template("data"))
    raw = buckets[ids["raw"]]["Properties"]["ReplicationConfiguration"]
    rule = raw["Rules"][0]
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::dr-raw"
    assert rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"].startswith("arn:aws:kms:us-west-2:")
    assert rule["SourceSelectionCriteria"]["SseKmsEncryptedObjects"] == {"Status": "Enabled"}
    assert "ReplicationConfiguration" in buckets[ids["sanitized"]]["Properties"]
    assert "ReplicationConfiguration" not in buckets[ids["quarantine"]]["Properties"]


def test_replication_role_is_scoped_to_its_buckets(dev_variant: SynthResult) -> None:
    t = dev_variant.template("data")
    t.resource_count_is("AWS::IAM::Policy", 0)  # grants land in a managed policy, never inline
    policy = next(iter(t.find_resources("AWS::IAM::ManagedPolicy").values()))
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    replicate = [s for s in statements if "s3:ReplicateObject" in s["Action"]]
    resources = sorted(
        r for s in replicate for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    )
    assert resources == ["arn:aws:s3:::dr-raw/*", "arn:aws:s3:::dr-sanitized/*"]
    assert all(s["Resource"] != "*" for s in statements)


# ---------------------------------------------------------------- the construct on its own


@pytest.fixture(scope="module")
def standalone() -> tuple[Template, DataLake, cdk.Stack]:
    """DataLake dropped into a foreign app with an imported key, custom lifecycle and grants."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "PlatformTeamStack")
    key = kms.Key.from_key_arn(
        stack, "TeamKey", "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    )
    lake = DataLake(
        stack,
        "Lake",
        key=key,
        props=DataLakeProps(
            lifecycle=LakeLifecycle(quarantine_expiry_days=7, raw_tiering_days=0, noncurrent_version_expiry_days=10),
        ),
    )
    role = iam.Role(stack, "Trainer", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    lake.grant_read_sanitized(role, prefix="curated/")
    lake.grant_write_quarantine(role)
    return Template.from_stack(stack), lake, stack


def test_imported_key_is_used_and_no_key_is_created(standalone: tuple[Template, DataLake, cdk.Stack]) -> None:
    t, _, _ = standalone
    t.resource_count_is("AWS::KMS::Key", 0)
    for bucket in t.find_resources("AWS::S3::Bucket").values():
        sse = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == (
            "arn:aws:kms:us-east-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
        )


def test_custom_lifecycle_is_applied(standalone: tuple[Template, DataLake, cdk.Stack]) -> None:
    t, _, _ = standalone
    t.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with([Match.object_like({"Id": "expire-quarantine", "ExpirationInDays": 7})])
            }
        },
    )
    t.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [Match.object_like({"Id": "tier-raw", "Transitions": [Match.object_like({"TransitionInDays": 0})]})]
                )
            }
        },
    )


def test_grants_are_scoped_to_one_bucket_and_prefix(standalone: tuple[Template, DataLake, cdk.Stack]) -> None:
    t, lake, stack = standalone
    sanitized = stack.resolve(stack.get_logical_id(lake.sanitized_bucket.node.default_child))  # type: ignore[arg-type]
    quarantine = stack.resolve(stack.get_logical_id(lake.quarantine_bucket.node.default_child))  # type: ignore[arg-type]
    statements = next(iter(t.find_resources("AWS::IAM::Policy").values()))["Properties"]["PolicyDocument"]["Statement"]
    read = next(s for s in statements if "s3:GetObject*" in s["Action"])
    assert read["Resource"][1] == {"Fn::Join": ["", [{"Fn::GetAtt": [sanitized, "Arn"]}, "/curated/*"]]}
    put = next(s for s in statements if "s3:PutObject" in s["Action"])
    assert "s3:GetObject*" not in put["Action"] and "s3:DeleteObject*" not in put["Action"]
    assert put["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [quarantine, "Arn"]}, "/*"]]}


def test_auto_delete_requires_destroy() -> None:
    with pytest.raises(ValueError, match=r"requires removal_policy=RemovalPolicy\.DESTROY"):
        DataLakeProps(auto_delete_objects=True)
