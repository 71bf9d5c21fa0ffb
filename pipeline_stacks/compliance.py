"""Compliance harness: cdk-nag packs and every suppression, each with its reason, in one place.

Packs: AWS Solutions, HIPAA Security and NIST 800-53 rev 5 (cdk-nag 3, run as CDK validation
plugins at synth). Constructs mark where a suppression applies with :func:`acknowledge` and a
key from :data:`SUPPRESSIONS`; the rule ids, the finding-level scope (cdk-nag's
``Rule[Finding]`` ids, the v3 equivalent of ``applies_to``) and the reasons live only here, so a
reviewer audits one table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
import jsii
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import IConstruct, IValidation

#: The packs every pipeline app runs.
PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks)


@dataclass(frozen=True)
class Suppression:
    """One acknowledged rule. ``applies_to`` narrows it to specific findings (``Rule[Finding]``)."""

    rule: str
    reason: str
    applies_to: tuple[str, ...] = ()

    def ids(self) -> tuple[str, ...]:
        """The cdk-nag ids to acknowledge: the bare rule, or one ``Rule[Finding]`` per ``applies_to``."""
        return tuple(f"{self.rule}[{a}]" for a in self.applies_to) or (self.rule,)


_ACCESS_LOG_BUCKET_REASON = (
    "This is the S3 server-access-log destination bucket itself; logging it into itself would "
    "create a feedback loop of log objects (AWS recommends a separate target). All other lake "
    "buckets log here."
)

_NO_REPLICATION_REASON = (
    "Replication needs a destination bucket and KMS key in a second region, which this stack "
    "cannot create; it is opt-in per bucket with config data_lake.replication. Versioning, "
    "noncurrent-version retention and RETAIN removal protect the data in-region."
)

_DATA_LAKE: dict[str, tuple[Suppression, ...]] = {
    "DataLake.access_logs_bucket": (
        Suppression("AwsSolutions-S1", _ACCESS_LOG_BUCKET_REASON),
        Suppression("HIPAA.Security-S3BucketLoggingEnabled", _ACCESS_LOG_BUCKET_REASON),
        Suppression("NIST.800.53.R5-S3BucketLoggingEnabled", _ACCESS_LOG_BUCKET_REASON),
    ),
    "DataLake.bucket_without_replication": (
        Suppression("HIPAA.Security-S3BucketReplicationEnabled", _NO_REPLICATION_REASON),
        Suppression("NIST.800.53.R5-S3BucketReplicationEnabled", _NO_REPLICATION_REASON),
    ),
    "DataLake.replication_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "S3 replication must read every object version of a replicated bucket and write every "
            "key of its replica, so object ARNs end in /*; scoped to exactly those buckets.",
        ),
    ),
}

_SANITIZATION: dict[str, tuple[Suppression, ...]] = {}

_GRANT_ACTION_GROUPS = tuple(
    f"Action::{a}"
    for a in ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*", "kms:GenerateDataKey*", "kms:ReEncrypt*")
)

_TRAINING: dict[str, tuple[Suppression, ...]] = {
    "TrainingPipeline.state_machine_role": (
        Suppression(
            "AwsSolutions-IAM5",
            "Step Functions log delivery (logs:*LogDelivery*, DescribeResourcePolicies) and X-Ray tracing "
            "(xray:PutTraceSegments, GetSamplingRules) have no resource-level permissions, so they need "
            "Resource '*'. Training job names are generated per execution, so jobs are scoped by the "
            "pipeline's job-name prefix; model package versions are numbered by SageMaker inside the "
            "pipeline's own package group.",
        ),
    ),
    "TrainingPipeline.execution_role_actions": (
        Suppression(
            "AwsSolutions-IAM5",
            "The action groups come from the DataLake grant helpers (CDK's bucket/key grants: read = "
            "GetObject*/GetBucket*/List*, write adds DeleteObject*/Abort*, SSE-KMS needs "
            "GenerateDataKey*/ReEncrypt*); every statement is scoped to one lake prefix or the lake key.",
            _GRANT_ACTION_GROUPS,
        ),
    ),
    "TrainingPipeline.execution_role_objects": (
        Suppression(
            "AwsSolutions-IAM5",
            "SageMaker jobs read the data splits and write checkpoints, model artifacts and evaluation "
            "output under fixed lake prefixes whose object keys are chosen per job, and read the training "
            "source tarball from the CDK asset bucket; each grant is limited to that prefix.",
        ),
    ),
    "TrainingPipeline.execution_role_service": (
        Suppression(
            "AwsSolutions-IAM5",
            "cloudwatch:PutMetricData (conditioned on the /aws/sagemaker/* namespace), VPC ENI management "
            "for jobs in subnets and ecr:GetAuthorizationToken have no resource-level permissions; job "
            "log streams are created per job under the /aws/sagemaker/TrainingJobs log group.",
        ),
    ),
}

_SERVING: dict[str, tuple[Suppression, ...]] = {}

_MONITORING: dict[str, tuple[Suppression, ...]] = {}

#: Every suppression in the project, keyed by the place a construct acknowledges it.
SUPPRESSIONS: dict[str, tuple[Suppression, ...]] = {
    **_DATA_LAKE,
    **_SANITIZATION,
    **_TRAINING,
    **_SERVING,
    **_MONITORING,
}


def acknowledge(scope: IConstruct, key: str, *, applies_to: Iterable[str] = ()) -> None:
    """Apply the suppressions registered under ``key`` to ``scope`` (and its children).

    ``applies_to`` narrows registered suppressions that have no static findings to the given
    findings (e.g. :func:`objects_finding` of the exact buckets a role may touch).
    """
    try:
        suppressions = SUPPRESSIONS[key]
    except KeyError:
        raise KeyError(f"no suppressions registered under {key!r}; add them to compliance.SUPPRESSIONS") from None
    dynamic = tuple(applies_to)
    acks = []
    for s in suppressions:
        scoped = s if s.applies_to or not dynamic else Suppression(s.rule, s.reason, dynamic)
        acks.extend(cdk.Acknowledgment(id=rule_id, reason=s.reason) for rule_id in scoped.ids())
    cdk.Validations.of(scope).acknowledge(*acks)


def objects_finding(bucket: s3.IBucket) -> str:
    """The cdk-nag IAM5 finding id for "every object in ``bucket``" (``<bucket ARN>/*``).

    A bucket of this app renders as ``<LogicalId.Arn>``; an imported bucket as its literal ARN.
    """
    resolved = cdk.Stack.of(bucket).resolve(bucket.bucket_arn)
    if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        logical_id, attribute = resolved["Fn::GetAtt"]
        resolved = f"<{logical_id}.{attribute}>"
    if not isinstance(resolved, str):
        raise ValueError(f"cannot name the IAM5 finding for bucket ARN {resolved!r}")
    return f"Resource::{resolved}/*"


def flatten_reference(value: object) -> str:
    """Render a resolved CloudFormation value the way cdk-nag names it in findings.

    A port of cdk-nag's ``flattenCfnReference``: ``Fn::Join`` is joined, ``Fn::GetAtt`` becomes
    ``<LogicalId.Attribute>``, ``Ref`` becomes ``<Name>``, ``Fn::ImportValue`` its export name, anything
    else (e.g. ``Fn::GetStackOutput``) its compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return delimiter.join(flatten_reference(i) for i in items)
        if "Fn::Sub" in value:
            return flatten_reference(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in value:
            return flatten_reference(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{flatten_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@jsii.implements(IValidation)
class _DeferredAcknowledgment:
    def __init__(self, scope: IConstruct, key: str, findings: Callable[[], Iterable[str]]) -> None:
        self.scope, self.key, self.findings = scope, key, findings

    def validate(self) -> list[str]:
        acknowledge(self.scope, self.key, applies_to=self.findings())
        return []


def acknowledge_objects(scope: IConstruct, key: str, bucket: s3.IBucket, prefixes: Iterable[str]) -> None:
    """Acknowledge ``key`` for the IAM5 findings ``<bucket ARN>/<prefix>/*`` of each prefix, as ``scope`` sees them.

    Works for buckets of other stacks too: the finding is computed when CDK validates the tree, after
    cross-stack references were resolved (to ``Fn::ImportValue`` / ``Fn::GetStackOutput``) in ``scope``'s stack.
    """
    prefixes = tuple(p.strip("/") for p in prefixes)

    def findings() -> list[str]:
        arn = flatten_reference(cdk.Stack.of(scope).resolve(bucket.bucket_arn))
        return [f"Resource::{arn}/{p}/*" if p else f"Resource::{arn}/*" for p in prefixes]

    scope.node.add_validation(_DeferredAcknowledgment(scope, key, findings))


def resource_finding(scope: IConstruct, arn: str) -> str:
    """The cdk-nag IAM5 finding id (``Resource::...``) for an ARN built with tokens, rendered as cdk-nag
    does: ``Ref`` -> ``<Name>``, ``Fn::GetAtt`` -> ``<LogicalId.Attribute>``, ``Fn::Join`` concatenated."""

    def render(value: object) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value:
            return f"<{value['Ref']}>"
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return "<{}.{}>".format(*value["Fn::GetAtt"])
        if isinstance(value, dict) and "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(render(p) for p in parts)
        raise ValueError(f"cannot name the IAM5 finding for {value!r}")

    return f"Resource::{render(cdk.Stack.of(scope).resolve(arn))}"


def add_compliance_checks(app: cdk.App) -> None:
    """Run all three packs over every stack of ``app`` at synth.

    Acknowledged rules are also written into each resource's ``Metadata.cdk_nag`` so the
    audit trail travels with the CloudFormation templates.
    """
    cdk.Validations.of(app).add_plugins(*(pack(app, write_suppressions_to_cloud_formation=True) for pack in PACKS))
