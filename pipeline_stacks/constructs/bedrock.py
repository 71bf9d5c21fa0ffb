"""BedrockModel: a Bedrock foundation model (Converse API) as the pipeline's inference backend.

On-demand Bedrock has no idle cost, which makes it the default for ``dev``. IAM is scoped to the
exact model: ``arn:aws:bedrock:REGION::foundation-model/ID``; for a cross-region inference
profile (``us.`` / ``eu.`` / ``apac.`` / ``jp.`` / ``au.`` / ``global.`` prefixed ids) the profile ARN in
this account plus the foundation model in each destination region, usable only through that
profile (``bedrock:InferenceProfileArn`` condition). No ``*`` anywhere.

An optional Bedrock Guardrail (L1 ``CfnGuardrail``: there is no L2 in aws-cdk-lib) anonymizes PII
in prompts and answers and filters harmful content; it is encrypted with the lake key and
published as an immutable version that the front door pins.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_bedrock as bedrock
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from pipeline_stacks.constructs.backend import backend_metric
from pipeline_stacks.validation import (
    BEDROCK_MODEL_ID_PATTERN,
    BEDROCK_PROFILE_SOURCE_PREFIXES,
)

#: Destination regions of the cross-region inference profiles per geography (AWS documentation,
#: "Supported Regions and models for inference profiles"). Models differ slightly; override with
#: ``BedrockModelProps.profile_regions`` (config ``serving.bedrock_profile_regions``).
PROFILE_DESTINATION_REGIONS: Mapping[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"),
    "apac": (
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-4",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
}  # fmt: skip

#: PII the guardrail anonymizes (``{TYPE}`` placeholders) in prompts and answers.
GUARDRAIL_PII_ENTITIES: tuple[str, ...] = (
    "NAME", "EMAIL", "PHONE", "ADDRESS", "AGE", "USERNAME", "PASSWORD", "IP_ADDRESS", "MAC_ADDRESS",
    "US_SOCIAL_SECURITY_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER",
    "US_BANK_ACCOUNT_NUMBER", "US_BANK_ROUTING_NUMBER", "DRIVER_ID", "LICENSE_PLATE",
    "VEHICLE_IDENTIFICATION_NUMBER", "CREDIT_DEBIT_CARD_NUMBER", "CREDIT_DEBIT_CARD_CVV",
    "CREDIT_DEBIT_CARD_EXPIRY", "PIN", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "SWIFT_CODE",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER", "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
)  # fmt: skip

_CONTENT_FILTERS = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """``us.anthropic.claude...`` -> ``("us", "anthropic.claude...")``; a plain id -> ``(None, id)``."""
    if not re.fullmatch(BEDROCK_MODEL_ID_PATTERN, model_id):
        raise ValueError(
            f"Bedrock model id {model_id!r} is not 'provider.model[:version]' or a geography-prefixed "
            f"inference profile id ({', '.join(BEDROCK_PROFILE_SOURCE_PREFIXES)})"
        )
    head, rest = model_id.split(".", 1)
    if head in BEDROCK_PROFILE_SOURCE_PREFIXES:
        return head, rest
    return None, model_id


@dataclass(frozen=True, kw_only=True)
class BedrockModelProps:
    """Properties of :class:`BedrockModel`.

    ``model_id``: a foundation model id or a cross-region inference profile id (validated).
    ``guardrail``: create a guardrail (needs ``key``). ``profile_regions``: override the
    destination regions of an inference profile (default :data:`PROFILE_DESTINATION_REGIONS`).
    """

    model_id: str = "amazon.nova-micro-v1:0"
    guardrail: bool = True
    guardrail_name: str | None = None
    profile_regions: Sequence[str] = ()
    pii_entities: Sequence[str] = GUARDRAIL_PII_ENTITIES

    def __post_init__(self) -> None:
        geo, _ = split_model_id(self.model_id)
        if self.profile_regions and geo is None:
            raise ValueError(
                f"BedrockModelProps.profile_regions only applies to inference profile ids, not {self.model_id!r}"
            )


class BedrockModel(Construct):
    """A Bedrock model (+ optional guardrail); implements :class:`~pipeline_stacks.constructs.backend.InferenceBackend`.

    Attributes: ``model_id``, ``model_arns`` (every ARN invocation is granted on), ``profile_arn``
    (None for a plain model id), ``guardrail`` / ``guardrail_version`` (None when disabled).
    """

    backend_name = "bedrock"

    def __init__(
        self, scope: Construct, construct_id: str, *, props: BedrockModelProps, key: kms.IKey | None = None
    ) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        self.key = key
        self.model_id = props.model_id
        stack = cdk.Stack.of(self)
        geo, base_id = split_model_id(props.model_id)
        partition, region = stack.partition, stack.region
        self.profile_arn: str | None = None
        if geo is None:
            self.model_arns: list[str] = [f"arn:{partition}:bedrock:{region}::foundation-model/{base_id}"]
            self._foundation_model_arns: list[str] = list(self.model_arns)
        else:
            self.profile_arn = stack.format_arn(
                service="bedrock", resource="inference-profile", resource_name=props.model_id
            )
            if geo == "global":  # routed to any commercial region: the region-less model ARN
                regional = [
                    f"arn:{partition}:bedrock:{region}::foundation-model/{base_id}",
                    f"arn:{partition}:bedrock:::foundation-model/{base_id}",
                ]
            else:
                regions = tuple(props.profile_regions) or PROFILE_DESTINATION_REGIONS[geo]
                regional = [f"arn:{partition}:bedrock:{r}::foundation-model/{base_id}" for r in sorted(set(regions))]
            self._foundation_model_arns = regional
            self.model_arns = [self.profile_arn, *regional]

        self.guardrail: bedrock.CfnGuardrail | None = None
        self.guardrail_version: bedrock.CfnGuardrailVersion | None = None
        if props.guardrail:
            self._create_guardrail(stack)

    # ------------------------------------------------------------------ InferenceBackend

    @property
    def environment(self) -> Mapping[str, str]:
        """Front-door Lambda variables: ``BACKEND``, ``MODEL_ID`` (+ ``GUARDRAIL_ID``, ``GUARDRAIL_VERSION``)."""
        env = {"BACKEND": "bedrock", "MODEL_ID": self.model_id}
        if self.guardrail is not None and self.guardrail_version is not None:
            env["GUARDRAIL_ID"] = self.guardrail.attr_guardrail_id
            env["GUARDRAIL_VERSION"] = self.guardrail_version.attr_version
        return env

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """``bedrock:InvokeModel`` (+ ``WithResponseStream``, used by Converse/ConverseStream) on exactly
        this model's ARNs; ``bedrock:ApplyGuardrail`` on the guardrail and decrypt with its key."""
        actions = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
        if self.profile_arn is None:
            grant = iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=self.model_arns)
        else:
            grant = iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=[self.profile_arn])
            # the foundation model in each destination region, only when reached through this profile
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=actions,
                resource_arns=self._foundation_model_arns,
                conditions={"StringEquals": {"bedrock:InferenceProfileArn": self.profile_arn}},
            )
        if self.guardrail is not None:
            iam.Grant.add_to_principal(
                grantee=grantee, actions=["bedrock:ApplyGuardrail"], resource_arns=[self.guardrail.attr_guardrail_arn]
            )
            if self.key is not None:
                # Decrypt the guardrail only as Bedrock does for the caller, never directly: the key may be the
                # lake key, which also protects raw PII (guardrail users need kms:Decrypt:
                # https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html;
                # kms:ViaService: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
                iam.Grant.add_to_principal(
                    grantee=grantee,
                    actions=["kms:Decrypt"],
                    resource_arns=[self.key.key_arn],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"bedrock.{cdk.Stack.of(self).region}.amazonaws.com"}
                    },
                )
        return grant

    def alarm_metrics(self) -> Mapping[str, cloudwatch.IMetric]:
        """``InvocationClientErrors``, ``InvocationServerErrors``, ``InvocationThrottles`` (Sum) and
        ``InvocationLatency`` (p99, ms) in ``AWS/Bedrock`` for this ``ModelId``."""
        return {
            "InvocationClientErrors": self.metric("InvocationClientErrors", statistic="Sum"),
            "InvocationServerErrors": self.metric("InvocationServerErrors", statistic="Sum"),
            "InvocationThrottles": self.metric("InvocationThrottles", statistic="Sum"),
            "InvocationLatency": self.metric("InvocationLatency", statistic="p99"),
        }

    def metric(
        self, metric_name: str, *, statistic: str = "Sum", period: cdk.Duration | None = None
    ) -> cloudwatch.Metric:
        """An ``AWS/Bedrock`` runtime metric of this model (dimension ``ModelId``)."""
        return backend_metric(
            "AWS/Bedrock", metric_name, {"ModelId": self.model_id}, statistic=statistic, period=period
        )

    # ------------------------------------------------------------------ guardrail

    def _create_guardrail(self, stack: cdk.Stack) -> None:
        pii = [
            bedrock.CfnGuardrail.PiiEntityConfigProperty(type=entity, action="ANONYMIZE")
            for entity in self.props.pii_entities
        ]
        filters = [
            bedrock.CfnGuardrail.ContentFilterConfigProperty(type=t, input_strength="HIGH", output_strength="HIGH")
            for t in _CONTENT_FILTERS
        ]
        # prompt attacks are judged on the input only (output strength must be NONE)
        filters.append(
            bedrock.CfnGuardrail.ContentFilterConfigProperty(
                type="PROMPT_ATTACK", input_strength="HIGH", output_strength="NONE"
            )
        )
        self.guardrail = bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name=self.props.guardrail_name or f"{stack.stack_name}-guardrail"[:50],
            description="Anonymizes PII and filters harmful content and prompt attacks for the LLM front door",
            blocked_input_messaging="Sorry, this request can't be processed.",
            blocked_outputs_messaging="Sorry, the model's answer was withheld by the content policy.",
            kms_key_arn=self.key.key_arn if self.key is not None else None,
            sensitive_information_policy_config=bedrock.CfnGuardrail.SensitiveInformationPolicyConfigProperty(
                pii_entities_config=pii
            ),
            content_policy_config=bedrock.CfnGuardrail.ContentPolicyConfigProperty(filters_config=filters),
        )
        # A version is immutable: name it after the policy so a policy change publishes a new one.
        digest = hashlib.sha256(
            json.dumps(
                {"pii": list(self.props.pii_entities), "filters": list(_CONTENT_FILTERS), "v": 1}, sort_keys=True
            ).encode()
        ).hexdigest()[:8]
        self.guardrail_version = bedrock.CfnGuardrailVersion(
            self,
            f"GuardrailVersion{digest}",
            guardrail_identifier=self.guardrail.attr_guardrail_id,
            description=f"policy {digest}",
        )
