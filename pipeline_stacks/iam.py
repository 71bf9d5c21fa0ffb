"""IAM building blocks shared by every construct."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct


class ManagedPolicyRole(iam.Role):
    """An IAM role whose grants land in one customer-managed policy attached to it.

    CDK grants normally write to an inline ``DefaultPolicy``, which HIPAA/NIST packs reject
    (IAMNoInlinePolicy). This role keeps the ergonomic ``grant_*`` API while every statement goes
    to ``self.policy`` (an ``AWS::IAM::ManagedPolicy`` attached only to this role). Accepts the
    same keyword arguments as :class:`aws_cdk.aws_iam.Role`.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self])

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        """Route every grant into the attached managed policy."""
        self.policy.add_statements(statement)
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self.policy)


def vpc_network_interface_statement(sid: str = "VpcNetworkInterfaces") -> iam.PolicyStatement:
    """What SageMaker jobs/models need to attach to customer subnets.

    The EC2 network-interface and describe APIs have no resource-level scoping for this use, so
    ``Resource: *`` (acknowledged per construct in compliance.py).
    """
    return iam.PolicyStatement(
        sid=sid,
        actions=[
            "ec2:CreateNetworkInterface",
            "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeVpcs",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
        ],
        resources=["*"],
    )


def cloudwatch_logs_key_statement(stack: cdk.Stack, sid: str) -> iam.PolicyStatement:
    """A KMS key-policy statement letting CloudWatch Logs use the key for this account's log groups only.

    The service principal is the regional ``logs.<region>.amazonaws.com``; the condition is on the encryption
    context CloudWatch Logs sends, the ARN of a log group in this stack's account and region
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    """
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        resources=["*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            }
        },
    )
