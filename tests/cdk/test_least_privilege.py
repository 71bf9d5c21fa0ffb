"""Each runtime role holds exactly the actions its code calls (issue 10, defect 8).

A role's actions are read from the synthesized templates: its inline ``Policies``, every
``AWS::IAM::Policy`` / ``AWS::IAM::ManagedPolicy`` attached to it (``Roles``), and its ``ManagedPolicyArns``
(an AWS managed policy is listed by name: it must be allowlisted as such). They are compared with an explicit
allowlist per role, derived from what the role's code calls (the mapping is written next to each list), so
a grant helper that quietly adds actions (``grant_put``'s retention, legal-hold, tagging and ``Abort*``;
``grant_encrypt_decrypt``'s ``Decrypt``/``ReEncrypt*``; ``Asset.grant_read``'s bucket-wide ``List*``) fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from pipeline_stacks.iam import vpc_network_interface_statement
from tests.cdk.policy_eval import REGION, Request, Resolver, allows
from tests.cdk.support import SynthResult

Templates = Mapping[str, Mapping[str, Any]]

# Front-door Lambda (lambda_src/front_door):
#   frontdoor/storage.py  put_record -> s3.put_object(Bucket, Key, SSEKMSKeyId=lake key)  -> s3:PutObject
#                         (SSE-KMS under the lake key: S3 calls kms:GenerateDataKey for the caller; a single
#                         PUT needs no kms:Decrypt, which only multipart uploads and reads need)
#   chat_api/backends.py  sagemaker-runtime.invoke_endpoint_with_response_stream -> sagemaker:InvokeEndpoint
#                         (the API reference: the streaming call is authorized by InvokeEndpoint; SageMaker backend)
#                         bedrock-runtime.converse           -> bedrock:InvokeModel (+ WithResponseStream for
#                         ConverseStream), bedrock:ApplyGuardrail with the guardrail; the guardrail's key:
#                         kms:Decrypt (Bedrock backend)
#   chat_api/conversations.py (DynamoDB store) -> dynamodb:GetItem/PutItem/UpdateItem/DeleteItem/Query on the
#                         conversations table; the table is encrypted with the lake key, so kms:Decrypt,
#                         kms:Encrypt, kms:GenerateDataKey conditioned on kms:ViaService = dynamodb.<region>
#   retrieval/bedrock.py  bedrock-agent-runtime.retrieve -> bedrock:Retrieve on the one knowledge base (rag.enabled)
#   logs (Lambda runtime) -> logs:CreateLogStream, logs:PutLogEvents on its own log group
#   X-Ray (Tracing.ACTIVE) -> xray:PutTraceSegments, xray:PutTelemetryRecords
FRONT_DOOR_COMMON = {
    "s3:PutObject",
    "kms:GenerateDataKey",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "kms:Decrypt",
    "kms:Encrypt",
    "bedrock:Retrieve",
}
FRONT_DOOR = {
    "bedrock": FRONT_DOOR_COMMON
    | {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:ApplyGuardrail", "kms:Decrypt"},
    "sagemaker": FRONT_DOOR_COMMON | {"sagemaker:InvokeEndpoint"},
}

# SageMaker training/evaluation jobs (training/, run by the SageMaker training toolkit):
#   sagemaker_submit_directory download (toolkit: s3 download_file of sourcedir.tar.gz) -> s3:GetObject on
#       that one asset object
#   SageMaker channels (File mode) + evaluation reads -> s3:GetObject*/s3:List* on the sanitized splits,
#       the base-model prefix and artifacts; checkpoints/models/evaluations writes -> s3:PutObject*,
#       s3:DeleteObject*, s3:Abort* (grant_read_write: uploads of large checkpoints are multipart)
#   SSE-KMS objects + ML volumes under the lake key -> kms:Decrypt, kms:Encrypt, kms:ReEncrypt*,
#       kms:GenerateDataKey*, kms:DescribeKey, kms:CreateGrant (for AWS resources only)
#   job logs/metrics -> logs:CreateLogGroup/CreateLogStream/PutLogEvents/DescribeLogStreams,
#       cloudwatch:PutMetricData (namespace /aws/sagemaker/*)
TRAINING = {
    "s3:GetObject",
    "s3:GetObject*",
    "s3:GetBucket*",
    "s3:List*",
    "s3:PutObject",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutObjectVersionTagging",
    "s3:DeleteObject*",
    "s3:Abort*",
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:CreateGrant",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
    "cloudwatch:PutMetricData",
}

# Jobs in customer subnets (training.vpc_subnet_ids): SageMaker attaches ENIs with the role's credentials, using
# the network-interface and describe actions AWS documents for it: pipeline_stacks.iam's one VPC statement (checked
# below to hold only those), and nothing else.
TRAINING_IN_VPC = set(vpc_network_interface_statement().actions)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_statements(templates: Templates, stack: str, role_id: str) -> list[dict[str, Any]]:
    """Every statement granted to the role ``role_id`` of ``stack``, resolved (AWS managed policies as
    ``{"ManagedPolicy": name}``)."""
    resolver = Resolver(templates)
    role = templates[stack]["Resources"][role_id]["Properties"]
    out: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        out.extend(_as_list(resolver.resolve(stack, policy["PolicyDocument"])["Statement"]))
    for arn in role.get("ManagedPolicyArns", []):
        ref = resolver.reference(stack, arn)
        if ref is None:  # an AWS managed policy
            out.append({"ManagedPolicy": str(resolver.resolve(stack, arn)).rsplit(":policy/", 1)[-1]})
        else:
            document = templates[ref[0]]["Resources"][ref[1]]["Properties"]["PolicyDocument"]
            out.extend(_as_list(resolver.resolve(ref[0], document)["Statement"]))
    for s, template in templates.items():
        for resource in template["Resources"].values():
            if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                continue
            roles = [resolver.reference(s, r) for r in resource["Properties"].get("Roles", [])]
            if (stack, role_id) in roles:
                out.extend(_as_list(resolver.resolve(s, resource["Properties"]["PolicyDocument"])["Statement"]))
    return out


def role_actions(statements: list[dict[str, Any]]) -> set[str]:
    """The allowed actions (and attached AWS managed policies, as ``managed:<name>``)."""
    actions: set[str] = set()
    for statement in statements:
        if "ManagedPolicy" in statement:
            actions.add(f"managed:{statement['ManagedPolicy']}")
        elif statement["Effect"] == "Allow":
            actions.update(_as_list(statement["Action"]))
    return actions


def _role_id(result: SynthResult, role: iam.IRole) -> tuple[str, str]:
    stack = cdk.Stack.of(role)
    return stack.stack_name, stack.resolve(stack.get_logical_id(role.node.default_child))  # type: ignore[arg-type]


@pytest.mark.parametrize("app", ["dev", "prod"])
def test_front_door_role_holds_exactly_what_its_code_calls(app: str, request: pytest.FixtureRequest) -> None:
    result: SynthResult = request.getfixturevalue(app)
    backend = result.pipeline.serving.backend.backend_name
    stack, role_id = _role_id(result, result.pipeline.serving.front_door.role)
    assert role_actions(role_statements(result.templates, stack, role_id)) == FRONT_DOOR[backend]


@pytest.mark.parametrize("app", ["dev", "prod"])
def test_front_door_writes_only_its_two_prefixes_and_uses_the_lake_key_only_through_s3(
    app: str, request: pytest.FixtureRequest
) -> None:
    result: SynthResult = request.getfixturevalue(app)
    templates = result.templates
    stack, role_id = _role_id(result, result.pipeline.serving.front_door.role)
    document = {"Statement": role_statements(templates, stack, role_id)}
    resolver = Resolver(templates)
    lake = result.pipeline.data.data_lake
    data_stack = cdk.Stack.of(lake)
    bucket_id = data_stack.resolve(data_stack.get_logical_id(lake.interactions_bucket.node.default_child))  # type: ignore[arg-type]
    key_id = data_stack.resolve(data_stack.get_logical_id(lake.key.node.default_child))  # type: ignore[arg-type]
    bucket = resolver.resolve(data_stack.stack_name, {"Fn::GetAtt": [bucket_id, "Arn"]})
    key = resolver.arn(data_stack.stack_name, key_id)
    role = "lambda.amazonaws.com"  # stands for the role itself: identity statements have no Principal

    def can(action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        return allows(
            {"Statement": [{**s, "Principal": "*"} for s in document["Statement"]]},
            Request(role, action, resource, context or {}),
        )

    assert can("s3:PutObject", f"{bucket}/interactions/dt=2026-01-01/hour=00/x.json")
    assert can("s3:PutObject", f"{bucket}/feedback/dt=2026-01-01/x-y.json")
    assert not can("s3:PutObject", f"{bucket}/data-capture/x.json")
    assert not can("s3:GetObject", f"{bucket}/interactions/dt=2026-01-01/hour=00/x.json")
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": bucket}
    assert can("kms:GenerateDataKey", key, via_s3)  # S3 Bucket Key: the context is the bucket ARN
    object_context = {**via_s3, "kms:EncryptionContext:aws:s3:arn": f"{bucket}/feedback/dt=2026-01-01/x-y.json"}
    assert can("kms:GenerateDataKey", key, object_context)  # without a Bucket Key: the object ARN
    assert not can("kms:GenerateDataKey", key)  # not directly
    assert not can("kms:GenerateDataKey", key, {**via_s3, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::raw"})
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:ReEncryptFrom"):
        assert not can(action, key, via_s3), action
        assert not can(action, key), action
    via_dynamodb = {"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}  # the conversations table
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
        assert can(action, key, via_dynamodb), action
    assert not can("kms:ReEncryptFrom", key, via_dynamodb)
    if result.pipeline.serving.backend.backend_name == "bedrock":  # the guardrail is encrypted with the lake key
        assert can("kms:Decrypt", key, {"kms:ViaService": f"bedrock.{REGION}.amazonaws.com"})


@pytest.mark.parametrize("app", ["dev", "trainium"])
def test_training_role_holds_exactly_what_its_jobs_call(app: str, request: pytest.FixtureRequest) -> None:
    result: SynthResult = request.getfixturevalue(app)
    pipeline = result.pipeline.training.pipeline
    stack, role_id = _role_id(result, pipeline.execution_role)
    statements = role_statements(result.templates, stack, role_id)
    expected = TRAINING | (TRAINING_IN_VPC if app == "trainium" else set())
    assert role_actions(statements) == expected


def test_the_vpc_statement_holds_only_network_interface_and_describe_actions() -> None:
    """What SageMaker needs to attach ENIs in customer subnets: no wildcard, nothing that launches or changes a VPC."""
    assert {"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets"} <= TRAINING_IN_VPC
    for action in TRAINING_IN_VPC:
        assert "*" not in action and (action.startswith("ec2:Describe") or "NetworkInterface" in action), action


def test_training_role_reads_only_its_own_source_asset_in_the_shared_assets_bucket(dev: SynthResult) -> None:
    pipeline = dev.pipeline.training.pipeline
    stack, role_id = _role_id(dev, pipeline.execution_role)
    statements = role_statements(dev.templates, stack, role_id)
    bucket_arn = cdk.Stack.of(pipeline).resolve(pipeline.source_asset.bucket.bucket_arn)
    assets_bucket = str(Resolver(dev.templates).resolve(stack, bucket_arn))
    assert assets_bucket.startswith("arn:aws:s3:::cdk-")  # the shared bootstrap bucket
    source_object = f"{assets_bucket}/{pipeline.source_asset.s3_object_key}"
    touching = [
        (statement, resource)
        for statement in statements
        for resource in _as_list(statement.get("Resource", []))
        if str(resource).startswith(assets_bucket)
    ]
    assert touching, "the role must read its sourcedir.tar.gz"
    for statement, resource in touching:
        assert _as_list(statement["Action"]) == ["s3:GetObject"], statement
        assert resource == source_object, statement
