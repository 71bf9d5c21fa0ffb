"""Config loading and validation: bad values fail with the key, the value and what is allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from pipeline_stacks.config import ConfigError, PipelineConfig, load_config, validate_config
from tests.cdk.support import cdk_json_context


def _load(**context: Any) -> PipelineConfig:
    ctx = {**cdk_json_context(), **context}
    return load_config(ctx.get, all_context=ctx)


def test_default_env_is_dev_and_env_agnostic() -> None:
    config = _load()
    assert config.env_name == "dev"
    assert config.account is None and config.region is None
    assert config.stack_name("data") == "llm-pipeline-dev-data"


def test_env_selects_named_environment_from_cdk_json() -> None:
    config = _load(env="prod")
    assert config.env_name == "prod"
    assert config.is_production
    assert config.data_lake.noncurrent_version_expiry_days == 365  # from cdk.json prod block


def test_dotted_cli_override_wins_and_is_parsed_from_string() -> None:
    config = _load(**{"data_lake.quarantine_expiry_days": "14", "region": "eu-west-1"})
    assert config.data_lake.quarantine_expiry_days == 14
    assert config.region == "eu-west-1"


def test_unknown_env_names_the_defined_ones() -> None:
    with pytest.raises(ConfigError, match=r"'env' = 'staging'.*allowed: dev, prod"):
        _load(env="staging")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("data_lake.removal_policy", "delete", r"data_lake\.removal_policy = 'delete'.*'retain' or 'destroy'"),
        ("data_lake.quarantine_expiry_days", "0", r"data_lake\.quarantine_expiry_days = 0.*greater than or equal to 1"),
        ("data_lake.access_log_expiry_days", "30", r"access_log_expiry_days = 30.*greater than or equal to 90"),
        ("region", "us-moon-1", r"region = 'us-moon-1'.*allowed: .*us-east-1"),
        ("account", "12345", r"account = 12345.*pattern"),
        ("data_lake.existing_kms_key_arn", "alias/foo", r"existing_kms_key_arn = 'alias/foo'.*pattern"),
    ],
)
def test_bad_values_name_key_value_and_allowed(key: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        _load(**{key: value})


def test_unknown_key_lists_allowed_keys() -> None:
    with pytest.raises(ConfigError, match=r"data_lake\.removal: unknown key; allowed keys here: .*removal_policy"):
        _load(**{"data_lake.removal": "retain"})


def test_unknown_key_inside_optional_section_lists_its_keys() -> None:
    with pytest.raises(ConfigError, match=r"replication\.bucket: unknown key; allowed keys here: buckets, kms_key_arn"):
        validate_config({"env_name": "dev", "data_lake": {"replication": {"bucket": {}}}})


def test_prod_refuses_destroy() -> None:
    with pytest.raises(ConfigError, match=r"removal_policy='destroy' is not allowed when env_name='prod'"):
        _load(env="prod", **{"data_lake.removal_policy": "destroy"})


def test_dev_may_opt_into_destroy() -> None:
    assert _load(**{"data_lake.removal_policy": "destroy"}).data_lake.removal_policy == "destroy"


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        _load(**{"data_lake.raw_tiering_days": "-1", "data_lake.removal_policy": "x"})
    assert "raw_tiering_days" in str(info.value) and "removal_policy" in str(info.value)


def test_replication_bucket_arns_are_validated() -> None:
    raw = {"kms_key_arn": "arn:aws:kms:us-west-2:111111111111:key/11111111-2222-3333-4444-555555555555"}
    with pytest.raises(ConfigError, match=r"buckets\.raw='my-bucket' is not an S3 bucket ARN"):
        _load(**{"data_lake.replication": json.dumps({**raw, "buckets": {"raw": "my-bucket"}})})
    with pytest.raises(ConfigError, match=r"buckets\.logs.*'raw', 'sanitized'"):
        _load(**{"data_lake.replication": {**raw, "buckets": {"logs": "arn:aws:s3:::x-logs"}}})


def test_config_is_immutable() -> None:
    config = _load()
    with pytest.raises(ValidationError, match="frozen"):
        config.env_name = "prod"  # type: ignore[misc]


def test_configuration_reference_is_up_to_date() -> None:
    from tools.config_reference import DOC_PATH, markdown

    assert DOC_PATH.read_text() == markdown(), "run: python tools/config_reference.py --write"


@pytest.mark.parametrize("key", ["training.vpc_subnet_ids", "serving.vpc_subnet_ids", "serving.lambda_subnet_ids"])
def test_network_ids_are_checked_everywhere(key: str) -> None:
    with pytest.raises(ConfigError, match=rf"{key.replace('.', '[.]')}\.0 = 'subnet1'.*pattern '\^subnet-"):
        _load(**{key: '["subnet1"]'})


def test_rag_is_on_in_dev_and_prod_with_opt_in_retrieval() -> None:
    for env in ("dev", "prod"):
        rag = _load(env=env).rag
        assert (rag.enabled, rag.vector_store, rag.default_on, rag.top_k) == (True, "s3_vectors", False, 4), env
        assert (rag.embedding_model, rag.embedding_dimensions) == ("amazon.titan-embed-text-v2:0", 1024)
        assert rag.knowledge_prefix == "knowledge/" and rag.batch_window_minutes == 5


KENDRA_INDEX = "arn:aws:kendra:us-east-1:123456789012:index/0123abcd-0123-4567-89ab-0123456789ab"


def test_rag_opensearch_serverless_is_a_vector_store_option() -> None:
    rag = _load(**{"rag.vector_store": "opensearch_serverless", "rag.opensearch_standby_replicas": "true"}).rag
    assert (rag.vector_store, rag.opensearch_standby_replicas) == ("opensearch_serverless", True)
    assert _load().rag.opensearch_standby_replicas is False


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"rag.aurora_min_capacity": 0.3}, r"rag\.aurora_min_capacity = 0\.3"),
        (
            {"rag.aurora_min_capacity": 4, "rag.aurora_max_capacity": 2},
            r"rag\.aurora_max_capacity=2(\.0)? is below rag\.aurora_min_capacity=4",
        ),
        (
            {"rag.vector_store": "pinecone"},
            r"rag\.vector_store = 'pinecone'.*'opensearch_serverless' or 'aurora_pgvector'",
        ),
        (
            {"rag.opensearch_standby_replicas": "true"},
            r"rag\.opensearch_standby_replicas=True but rag\.vector_store='s3_vectors'; allowed: false, or",
        ),
        ({"rag.vector_store": "kendra"}, r"rag\.kendra_index_arn is not set but rag\.vector_store='kendra'; allowed"),
        ({"rag.kendra_index_arn": KENDRA_INDEX}, r"rag\.kendra_index_arn='arn:.*' is set but .*'s3_vectors'"),
        ({"rag.kendra_index_arn": "index/abc", "rag.vector_store": "kendra"}, r"rag\.kendra_index_arn = 'index/abc'"),
        (
            {"rag.vector_store": "kendra", "rag.kendra_index_arn": KENDRA_INDEX, "region": "eu-west-1"},
            r"kendra_index_arn=.* is in region 'us-east-1'.*'eu-west-1'",
        ),
        (
            {"rag.embedding_model": "amazon.titan-embed-text-v1"},
            r"rag\.embedding_model='amazon\.titan-embed-text-v1'; allowed: amazon\.titan-embed-text-v2:0, cohere",
        ),
        (
            {"rag.embedding_model": "cohere.embed-english-v3", "rag.embedding_dimensions": "512"},
            r"rag\.embedding_dimensions=512; allowed: 1024 \(for rag\.embedding_model='cohere\.embed-english-v3'\)",
        ),
        ({"rag.embedding_dimensions": "768"}, r"rag\.embedding_dimensions=768; allowed: 256, 512, 1024"),
        ({"rag.chunking.strategy": "PARAGRAPH"}, r"rag\.chunking\.strategy = 'PARAGRAPH'.*'FIXED_SIZE'"),
        ({"rag.chunking.max_tokens": "10"}, r"rag\.chunking\.max_tokens = 10.*greater than or equal to 20"),
        ({"rag.top_k": "21"}, r"rag\.top_k = 21.*less than or equal to 20"),
        ({"rag.batch_window_minutes": "-1"}, r"rag\.batch_window_minutes = -1"),
        ({"rag.knowledge_prefix": "knowledge"}, r"rag\.knowledge_prefix='knowledge' is not an S3 prefix"),
        (
            {"rag.knowledge_prefix": "incoming/docs/"},
            r"rag\.knowledge_prefix='incoming/docs/' overlaps sanitization\.raw_prefix='incoming/'",
        ),
        ({"sanitization.raw_prefix": '""'}, r"rag\.knowledge_prefix='knowledge/' overlaps sanitization\.raw_prefix=''"),
        ({"rag.knowledge_prefix": "train/docs/"}, r"overlaps training\.train_prefix='train/'"),
        ({"rag.chunk": "x"}, r"rag\.chunk: unknown key; allowed keys here: .*chunking"),
    ],
)
def test_rag_errors_name_key_value_and_allowed(overrides: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        _load(**overrides)


def test_rag_disabled_ignores_the_knowledge_prefix_overlap() -> None:
    assert _load(**{"rag.enabled": "false", "sanitization.raw_prefix": '""'}).rag.enabled is False
