"""Every config key changes the synthesized output (or is listed below with the reason it does not).

For each leaf key of :class:`PipelineConfig` the app is synthesized with a changed, valid value and its
templates are compared with the same app without the change. Keys that must reach several stacks (the
interactions/feedback prefixes: the Glue grants, the continuous-learning state machine and the front-door
Lambda) are checked in each of them. The synth is in-process, without asset bundling and without the
compliance packs (their own tests cover them): ~0.7 s per key after warm-up, ~150 synths.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Literal, get_args, get_origin

import aws_cdk as cdk
import pytest
from annotated_types import Ge, Gt, Le
from aws_cdk import cx_api
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from pipeline_stacks.config import PipelineConfig, validate_config
from pipeline_stacks.pipeline import Pipeline, build_pipeline

from .support import cdk_json_context

pytestmark = pytest.mark.slow

SUBNETS = ["subnet-0123456789abcdef0"]
GROUPS = ["sg-0123456789abcdef0"]
ACCOUNT = "123456789012"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012"
SAGEMAKER = {"serving.backend": "sagemaker", "serving.model_package_arn": "llm-pipeline-dev/1"}
LEARNING = {"training.continuous_learning": True}
KENDRA = {
    "rag.vector_store": "kendra",
    "rag.kendra_index_arn": f"arn:aws:kendra:us-east-1:{ACCOUNT}:index/0123abcd-0123-4567-89ab-0123456789ab",
}
PROMOTION = {"serving.backend": "sagemaker", "promotion.enabled": True}
DELIVERY = {"delivery.enabled": True}
PINNED = {"account": ACCOUNT, "region": "us-east-1"}
GITHUB = {"delivery.github.enabled": True, "delivery.github.repository": "acme/llm"}
CONNECTION = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/0123abcd-0000-1111-2222-333344445555"

#: Changed values the generic rule (flip a bool, next Literal, +1 within bounds) cannot guess, and the keys
#: a change needs to be valid or to matter (a dict: ``{key: value, **companions}``).
CHANGES: dict[str, dict[str, Any]] = {
    "env_name": {"env_name": "qa"},
    "project_name": {"project_name": "other-pipeline"},
    "account": {"account": ACCOUNT},
    "region": {"region": "eu-west-1"},
    "tags": {"tags": {"team": "ml"}},
    "data_lake.existing_kms_key_arn": {
        "data_lake.existing_kms_key_arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/12345678-1234-1234-1234-123456789012"
    },
    "data_lake.replication.kms_key_arn": {
        "data_lake.replication": {
            "kms_key_arn": f"arn:aws:kms:us-west-2:{ACCOUNT}:key/12345678-1234-1234-1234-123456789012",
            "buckets": {"raw": "arn:aws:s3:::my-replica-raw"},
        }
    },
    "data_lake.replication.buckets": {
        "data_lake.replication": {
            "kms_key_arn": f"arn:aws:kms:us-west-2:{ACCOUNT}:key/12345678-1234-1234-1234-123456789012",
            "buckets": {"sanitized": "arn:aws:s3:::my-replica-sanitized"},
        }
    },
    "sanitization.worker_type": {"sanitization.worker_type": "G.2X"},
    "sanitization.scan_all_strings": {"sanitization.scan_all_strings": False, "sanitization.text_fields": ["notes"]},
    "training.quality_gate_direction": {"training.quality_gate_direction": "higher_is_better"},
    "serving.backend": SAGEMAKER,
    "sanitization.raw_prefix": {"sanitization.raw_prefix": "landing/"},
    "sanitization.interactions_prefix": {"sanitization.interactions_prefix": "chats/", **LEARNING},
    "sanitization.feedback_prefix": {"sanitization.feedback_prefix": "ratings/", **LEARNING},
    "sanitization.text_fields": {"sanitization.text_fields": ["notes"], "sanitization.scan_all_strings": False},
    "sanitization.required_fields": {"sanitization.required_fields": ["id"]},
    "sanitization.entities": {"sanitization.entities": ["EMAIL_ADDRESS"]},
    "sanitization.entity_modes": {"sanitization.entity_modes": {"EMAIL_ADDRESS": "hash"}},
    "sanitization.log_retention_days": {"sanitization.log_retention_days": 30},
    "sanitization.existing_hash_key_secret_arn": {
        "sanitization.existing_hash_key_secret_arn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:hmac-AbCdEf"
    },
    "sanitization.max_workers": {"sanitization.max_workers": 12},
    "training.instance_type": {"training.instance_type": "ml.g5.12xlarge"},
    "training.image_uri": {
        "training.image_uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-train:1",
    },
    "training.network_isolation": {
        "training.network_isolation": True,
        "training.image_uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/my-train:1",
    },
    "training.vpc_subnet_ids": {"training.vpc_subnet_ids": SUBNETS, "training.vpc_security_group_ids": GROUPS},
    "training.vpc_security_group_ids": {
        "training.vpc_subnet_ids": SUBNETS,
        "training.vpc_security_group_ids": GROUPS,
    },
    "training.base_model": {"training.base_model": "tiny-gpt2"},
    "training.train_prefix": {"training.train_prefix": "training-data/"},
    "training.validation_prefix": {"training.validation_prefix": None},
    "training.test_prefix": {"training.test_prefix": "holdout/"},
    "training.max_steps": {"training.max_steps": 100},
    "training.extra_hyperparameters": {"training.extra_hyperparameters": {"warmup-steps": "10"}},
    "training.evaluation_instance_type": {"training.evaluation_instance_type": "ml.g5.4xlarge"},
    "training.quality_gate_threshold": {"training.quality_gate_threshold": 0.3},
    "training.model_package_group_name": {"training.model_package_group_name": "my-models"},
    "training.schedule": {"training.schedule": "rate(7 days)"},
    "training.sanitize_before_training": {"training.sanitize_before_training": True},
    "training.timeout_hours": {"training.timeout_hours": 12},
    "training.continuous_learning_schedule": {"training.continuous_learning_schedule": None, **LEARNING},
    "training.continuous_learning_output_prefix": {
        "training.continuous_learning_output_prefix": "train/chats/",
        **LEARNING,
    },
    "serving.instance_type": {**SAGEMAKER, "serving.instance_type": "ml.g5.12xlarge"},
    "serving.model_package_arn": {**SAGEMAKER, "serving.model_package_arn": "llm-pipeline-dev/2"},
    "serving.model_data_prefix": {
        "serving.backend": "sagemaker",
        "serving.model_data_prefix": "models/mine/",
    },
    "serving.image_uri": {**SAGEMAKER, "serving.image_uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1"},
    "serving.tensor_parallel_degree": {
        **SAGEMAKER,
        "serving.instance_type": "ml.g5.12xlarge",
        "serving.tensor_parallel_degree": 2,
    },
    "serving.vpc_subnet_ids": {
        **SAGEMAKER,
        "serving.vpc_subnet_ids": SUBNETS,
        "serving.vpc_security_group_ids": GROUPS,
    },
    "serving.vpc_security_group_ids": {
        **SAGEMAKER,
        "serving.vpc_subnet_ids": SUBNETS,
        "serving.vpc_security_group_ids": GROUPS,
    },
    "serving.serverless_memory_mb": {
        **SAGEMAKER,
        "serving.serverless_memory_mb": 2048,
        "serving.image_uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1",
        "serving.data_capture_percent": 0,
    },
    "serving.serverless_max_concurrency": {
        **SAGEMAKER,
        "serving.serverless_memory_mb": 2048,
        "serving.image_uri": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1",
        "serving.data_capture_percent": 0,
        "serving.serverless_max_concurrency": 7,
    },
    "serving.bedrock_model_id": {"serving.bedrock_model_id": "amazon.nova-lite-v1:0"},
    "serving.bedrock_profile_regions": {
        "serving.bedrock_model_id": "us.amazon.nova-lite-v1:0",
        "serving.bedrock_profile_regions": ["us-east-1"],
    },
    "serving.existing_user_pool_arn": {
        "serving.existing_user_pool_arn": f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_AbCdEfGhI"
    },
    "serving.cors_allowed_origins": {"serving.cors_allowed_origins": ["https://app.example.com"]},
    "serving.lambda_timeout_seconds": {"serving.lambda_timeout_seconds": 300},
    "serving.model_read_timeout_seconds": {"serving.model_read_timeout_seconds": 15},
    "serving.log_retention_days": {"serving.log_retention_days": 30},
    "serving.max_tokens_cap": {"serving.max_tokens_cap": 1024},
    "serving.conversation_ttl_days": {"serving.conversation_ttl_days": 30},
    "serving.guardrail_stream_mode": {"serving.guardrail_stream_mode": "async"},
    "serving.web_adapter_layer_version": {"serving.web_adapter_layer_version": 28},
    "serving.web_adapter_layer_arn": {
        "serving.web_adapter_layer_arn": f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:layer:LambdaAdapterLayerX86:30"
    },
    "serving.custom_domain_name": {
        "serving.custom_domain_name": "api.example.com",
        "serving.custom_domain_certificate_arn": CERTIFICATE,
    },
    "serving.custom_domain_certificate_arn": {
        "serving.custom_domain_name": "api.example.com",
        "serving.custom_domain_certificate_arn": CERTIFICATE,
    },
    "serving.lambda_vpc_id": {
        "serving.lambda_vpc_id": "vpc-0123456789abcdef0",
        "serving.lambda_subnet_ids": SUBNETS,
        "serving.lambda_security_group_ids": GROUPS,
    },
    "serving.lambda_subnet_ids": {
        "serving.lambda_vpc_id": "vpc-0123456789abcdef0",
        "serving.lambda_subnet_ids": SUBNETS,
        "serving.lambda_security_group_ids": GROUPS,
    },
    "serving.lambda_security_group_ids": {
        "serving.lambda_vpc_id": "vpc-0123456789abcdef0",
        "serving.lambda_subnet_ids": SUBNETS,
        "serving.lambda_security_group_ids": GROUPS,
    },
    "monitoring.alarm_email": {"monitoring.alarm_email": "oncall@example.com"},
    "rag.vector_store": KENDRA,
    "rag.kendra_index_arn": {
        "rag.kendra_index_arn": f"arn:aws:kendra:us-east-1:{ACCOUNT}:index/99999999-0123-4567-89ab-0123456789ab"
    },
    "rag.embedding_model": {"rag.embedding_model": "cohere.embed-english-v3"},
    "rag.aurora_min_capacity": {"rag.aurora_min_capacity": 0.5},
    "rag.aurora_max_capacity": {"rag.aurora_max_capacity": 8},
    "rag.embedding_dimensions": {"rag.embedding_dimensions": 512},
    "rag.knowledge_prefix": {"rag.knowledge_prefix": "docs/"},
    "promotion.enabled": {"serving.model_package_arn": None, "promotion.enabled": True},
    "promotion.parameter_name": {**PROMOTION, "promotion.parameter_name": "/models/live"},
    "training.champion_challenger": {**PROMOTION, "training.champion_challenger": True},
    "delivery.pipeline_name": {**DELIVERY, "delivery.pipeline_name": "other-delivery"},
    "delivery.connection_arn": {**DELIVERY, "delivery.connection_arn": CONNECTION, "delivery.repository": "acme/llm"},
    "delivery.repository": {**DELIVERY, "delivery.connection_arn": CONNECTION, "delivery.repository": "acme/other"},
    "delivery.branch": {**DELIVERY, "delivery.branch": "release"},
    "delivery.s3_object_key": {**DELIVERY, "delivery.s3_object_key": "upload/app.zip"},
    "delivery.accounts.dev": {**DELIVERY, **PINNED, "delivery.accounts": {"dev": "210987654321"}},
    "delivery.accounts.prod": {**DELIVERY, **PINNED, "delivery.accounts": {"prod": "210987654321"}},
    "delivery.github.enabled": GITHUB,
    "delivery.github.repository": {**GITHUB, "delivery.github.repository": "acme/other"},
    "delivery.github.environment": {**GITHUB, "delivery.github.environment": "prod"},
    "delivery.github.branch": {**GITHUB, "delivery.github.branch": "release"},
    "delivery.github.existing_provider_arn": {
        **GITHUB,
        "delivery.github.existing_provider_arn": (
            f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        ),
    },
    # the chat UI signs in through Cognito: an IAM-only API goes without it
    "serving.auth": {"serving.auth": "iam", "web.enabled": False},
    "web.domain_names": {"web.domain_names": ["chat.example.com"], "web.certificate_arn": CERTIFICATE},
    "web.certificate_arn": {"web.domain_names": ["chat.example.com"], "web.certificate_arn": CERTIFICATE},
    "web.web_acl_arn": {
        "web.web_acl_arn": f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/chat/12345678-1234-1234-1234-123456789012"
    },
    "web.geo_allowlist": {"web.geo_allowlist": ["DE"]},
    "web.auth_domain_prefix": {"web.auth_domain_prefix": "chat-login"},
}

#: Keys whose generic change only matters with other keys set (the base both synths share).
BASES: dict[str, dict[str, Any]] = {
    **{
        f"serving.{key}": SAGEMAKER
        for key in (
            "initial_instance_count",
            "min_instance_count",
            "max_instance_count",
            "server",
            "max_sequence_length",
            "max_batch_size",
            "network_isolation",
            "data_capture_percent",
            "deployment_strategy",
            "deployment_step_percent",
            "deployment_wait_seconds",
            "rollback_latency_p99_ms",
            "rollback_5xx_per_minute",
            "target_invocations_per_instance",
            "scale_to_zero",
        )
    },
    "serving.initial_instance_count": {**SAGEMAKER, "serving.max_instance_count": 3},
    "serving.min_instance_count": {**SAGEMAKER, "serving.initial_instance_count": 2, "serving.max_instance_count": 3},
    "serving.scale_to_zero": {**SAGEMAKER, "serving.data_capture_percent": 0},
    # data capture persists raw payloads: only without PHI (serving.phi_workload=false)
    "serving.data_capture_percent": {**SAGEMAKER, "serving.phi_workload": False},
    "serving.phi_workload": SAGEMAKER,  # off: data capture at its default 10% appears
    "serving.deployment_step_percent": {**SAGEMAKER, "serving.deployment_strategy": "linear"},
    "monitoring.thresholds.endpoint_latency_p99_ms": SAGEMAKER,
    "monitoring.thresholds.endpoint_5xx": SAGEMAKER,
    # host memory is alarmed on Inferentia2 (GPU instances alarm on GPU memory instead)
    "monitoring.thresholds.utilization_percent": {**SAGEMAKER, "serving.instance_type": "ml.inf2.xlarge"},
    "monitoring.thresholds.gpu_memory_percent": SAGEMAKER,
    "training.continuous_learning_schedule": LEARNING,
    "training.continuous_learning_output_prefix": LEARNING,
    "sanitization.interactions_prefix": LEARNING,
    "sanitization.feedback_prefix": LEARNING,
    "training.quality_gate_direction": {"training.quality_gate_metric": "perplexity"},
    "sanitization.number_of_workers": {"sanitization.auto_scaling": False},
    "sanitization.max_concurrent_runs": {"sanitization.trigger": "on_demand"},
    "training.use_spot": {"training.max_wait_seconds": 86400},
    "serving.throttle_burst": {},
    "rag.kendra_index_arn": KENDRA,
    "rag.opensearch_standby_replicas": {"rag.vector_store": "opensearch_serverless"},
    "rag.aurora_min_capacity": {"rag.vector_store": "aurora_pgvector"},
    "rag.aurora_max_capacity": {"rag.vector_store": "aurora_pgvector"},
    "promotion.enabled": SAGEMAKER,
    "promotion.parameter_name": PROMOTION,
    "training.champion_challenger": PROMOTION,
    "training.champion_min_delta": {**PROMOTION, "training.champion_challenger": True},
    "training.champion_max_latency_ratio": {**PROMOTION, "training.champion_challenger": True},
    **{f"delivery.{key}": DELIVERY for key in ("pipeline_name", "s3_object_key")},
    "delivery.branch": {**DELIVERY, "delivery.connection_arn": CONNECTION, "delivery.repository": "acme/llm"},
    # the smoke test (and its env) exists after a stage whose API uses IAM auth
    "delivery.smoke_allow_no_model": {**DELIVERY, "serving.auth": "iam", "web.enabled": False},
    "delivery.connection_arn": DELIVERY,
    "delivery.repository": {**DELIVERY, "delivery.connection_arn": CONNECTION, "delivery.repository": "acme/llm"},
    "delivery.accounts.dev": {**DELIVERY, **PINNED},
    "delivery.accounts.prod": {**DELIVERY, **PINNED},
    **{f"delivery.github.{key}": GITHUB for key in ("repository", "environment", "branch", "existing_provider_arn")},
}

#: Keys that must change these stacks (default: any one stack). The prefixes are read by the Glue job
#: (data), the continuous-learning loop (training) and written by the front-door Lambda (serving).
REACHES: dict[str, set[str]] = {
    "sanitization.interactions_prefix": {"data", "training", "serving"},
    "sanitization.feedback_prefix": {"data", "training", "serving"},
    # the knowledge base and the document pass (data), the retrieve grant and env (serving), the alarms (monitoring)
    "rag.enabled": {"data", "serving", "monitoring"},
    "rag.knowledge_prefix": {"data"},
    "rag.default_on": {"serving"},
    "rag.top_k": {"serving"},
}

#: Keys that legitimately leave every template unchanged, with the reason.
NO_SYNTH_EFFECT: dict[str, str] = {}

#: Known defects: strict, so the marker must go when the fix lands.
KNOWN_DEFECTS: dict[str, str] = {}


def _leaves(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, field in model.model_fields.items():
        sub = next(
            (
                c
                for c in (field.annotation, *get_args(field.annotation))
                if isinstance(c, type) and issubclass(c, BaseModel)
            ),
            None,
        )
        if sub is not None:
            yield from _leaves(sub, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


LEAVES: dict[str, FieldInfo] = dict(_leaves(PipelineConfig))


def _generic_change(key: str, field: FieldInfo) -> dict[str, Any]:
    """Flip a bool, take the next Literal value, or move a number by one step within its bounds."""
    default = field.get_default(call_default_factory=True)
    annotation = field.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Literal or (args and get_origin(args[0]) is Literal):
        options = get_args(annotation) if get_origin(annotation) is Literal else get_args(args[0])
        return {key: next(o for o in options if o != default)}
    if annotation is bool:
        return {key: not default}
    if annotation in (int, float) or (args and args[0] in (int, float) and default is not None):
        upper = next((m.le for m in field.metadata if isinstance(m, Le)), None)
        lower = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
        lower = lower if lower is not None else next((m.gt for m in field.metadata if isinstance(m, Gt)), None)
        step: Any = 1 if annotation is int or (args and args[0] is int) else default / 2 or 0.5
        value = default + step
        if upper is not None and value > upper:
            value = default - step
        if lower is not None and value < lower:
            raise AssertionError(f"{key}: no generic change; add it to CHANGES")
        return {key: value}
    raise AssertionError(f"{key}: no generic change for {annotation}; add it to CHANGES")


def _raw(overrides: Mapping[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {"env_name": "dev"}
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return raw


@cache
def _synth(frozen: tuple[tuple[str, str], ...]) -> dict[str, dict[str, Any]]:
    """Templates by component (``data``, ``training``, ...) of the app configured with ``frozen``."""
    import json

    config = validate_config(_raw({k: json.loads(v) for k, v in frozen}))
    context = {**cdk_json_context(), "aws:cdk:bundling-stacks": []}
    # ~200 full synths: each assembly (72 MB with its staged assets) is removed once its templates are read
    with tempfile.TemporaryDirectory(prefix="cdk.out-coverage-") as outdir:
        app = cdk.App(outdir=outdir, context=context)
        pipeline = build_pipeline(app, config, compliance_checks=False)
        return _read_templates(app.synth(), pipeline)


def _read_templates(assembly: cx_api.CloudAssembly, pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    templates = {
        component: assembly.get_stack_by_name(stack.stack_name).template
        for component, stack in zip(("data", "training", "serving", "monitoring"), pipeline.stacks, strict=True)
    }
    # the deploy tooling (delivery pipeline, GitHub deploy role) and the stacks of the pipeline's stages
    for name, stack in (("delivery", pipeline.delivery), ("github", pipeline.github)):
        if stack is not None:
            templates[name] = assembly.get_stack_by_name(stack.stack_name).template
    for nested in assembly.nested_assemblies:
        for stage_stack in nested.nested_assembly.stacks:
            templates[f"{nested.display_name}/{stage_stack.stack_name}"] = stage_stack.template
    return templates


def _templates(overrides: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    import json

    return _synth(tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in overrides.items())))


def _params() -> Iterator[Any]:
    for key in LEAVES:
        marks = [pytest.mark.xfail(reason=KNOWN_DEFECTS[key], strict=True)] if key in KNOWN_DEFECTS else []
        yield pytest.param(key, marks=marks, id=key)


@pytest.mark.parametrize("key", list(_params()))
def test_every_config_key_changes_the_synthesized_output(key: str) -> None:
    if key in NO_SYNTH_EFFECT:
        pytest.skip(NO_SYNTH_EFFECT[key])
    base = BASES.get(key, {})
    change = CHANGES.get(key) or _generic_change(key, LEAVES[key])
    before = _templates(base)
    after = _templates({**base, **change})
    changed = {c for c in before.keys() | after.keys() if before.get(c) != after.get(c)}
    required = REACHES.get(key)
    if required is None:
        assert changed, f"{key}: changing it to {change} leaves every template unchanged (reaches nothing)"
    else:
        missing = required - changed
        assert not missing, f"{key}: changing it to {change} does not reach the {sorted(missing)} stack(s)"


def test_the_table_names_only_real_keys() -> None:
    unknown = (set(CHANGES) | set(BASES) | set(REACHES) | set(NO_SYNTH_EFFECT)) - set(LEAVES)
    assert not unknown, f"not config keys: {sorted(unknown)}"
