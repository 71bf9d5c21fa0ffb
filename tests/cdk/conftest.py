"""Session-scoped synths: each app configuration is synthesized exactly once per test run."""

from __future__ import annotations

import pytest

from tests.cdk.support import SynthResult, synth_pipeline

REPLICA_KEY = "arn:aws:kms:us-west-2:111111111111:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """The default app (env=dev, as ``cdk synth`` with no flags)."""
    return synth_pipeline(tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """The production app (``-c env=prod``), pinned to an account and region."""
    return synth_pipeline(tmp_path_factory.mktemp("prod"), env="prod", account="123456789012", region="us-east-1")


@pytest.fixture(scope="session")
def dev_variant(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """dev with every opt-in switched on: destroy + auto-delete and cross-region replication."""
    return synth_pipeline(
        tmp_path_factory.mktemp("variant"),
        **{
            "data_lake.removal_policy": "destroy",
            "data_lake.replication": {
                "kms_key_arn": REPLICA_KEY,
                "buckets": {"raw": "arn:aws:s3:::dr-raw", "sanitized": "arn:aws:s3:::dr-sanitized"},
            },
        },
    )


@pytest.fixture(scope="session")
def dev_without_web(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """dev with ``web.enabled=false``: the API without the chat UI (API keys required, no CORS)."""
    return synth_pipeline(tmp_path_factory.mktemp("dev-without-web"), **{"web.enabled": False})


@pytest.fixture(scope="session", params=["dev", "prod", "dev_variant", "trainium", "serving_variant"])
def any_app(request: pytest.FixtureRequest) -> SynthResult:
    """Each synthesized app configuration in turn."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def trainium(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """Training on 2 x ml.trn1.32xlarge pinned to us-east-1, in a VPC, weekly, sanitizing first."""
    return synth_pipeline(
        tmp_path_factory.mktemp("trainium"),
        account="123456789012",
        region="us-east-1",
        **{
            "training.instance_type": "ml.trn1.32xlarge",
            "training.instance_count": 2,
            "training.schedule": "cron(0 3 ? * SUN *)",
            "training.vpc_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
            "training.vpc_security_group_ids": ["sg-0123456789abcdef0"],
            "training.sanitize_before_training": True,
        },
    )


@pytest.fixture(scope="session")
def serving_variant(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """SageMaker on Inferentia2 with scale-to-zero (inference component), env-agnostic, uncompressed model."""
    return synth_pipeline(
        tmp_path_factory.mktemp("serving_variant"),
        **{
            "serving.backend": "sagemaker",
            "serving.instance_type": "ml.inf2.xlarge",
            "serving.model_data_prefix": "models/llama-ft/",
            "serving.scale_to_zero": True,
            "serving.max_instance_count": 3,
        },
    )
