"""Fixtures for the front-door Lambda tests: env, moto S3, stubbed model clients, EMF and log capture."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from front_door_support import (
    BUCKET,
    ENDPOINT,
    MODEL_ID,
    FakeContext,
    emf_metrics,
    reset_caches,
    response_headers,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Baseline environment (SageMaker backend) with all lazily cached state reset."""
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "BACKEND": "sagemaker",
        "ENDPOINT_NAME": ENDPOINT,
        "MODEL_ID": MODEL_ID,
        "INTERACTIONS_BUCKET": BUCKET,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("KMS_KEY_ID", "GUARDRAIL_ID", "GUARDRAIL_VERSION", "PROMPT_MAX_CHARS", "MAX_BODY_BYTES",
                "MODEL_VERSION", "AWS_PROFILE", "INFERENCE_COMPONENT_NAME", "CORS_ALLOWED_ORIGINS"):
        monkeypatch.delenv(key, raising=False)
    reset_caches()
    yield monkeypatch
    reset_caches()


@pytest.fixture
def s3(env: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto S3 with the interactions bucket; yields the client the handler uses."""
    from frontdoor import clients
    from moto import mock_aws

    with mock_aws():
        client = clients.s3()
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Callable[..., dict[str, Any]]:
    """Call the handler; the answer gets ``json`` (parsed body), ``hdr`` (headers) and ``metrics`` (EMF)."""
    from frontdoor import app

    def _invoke(event: dict[str, Any]) -> dict[str, Any]:
        capsys.readouterr()
        response = app.lambda_handler(event, FakeContext())  # looked up per call: the ``cors`` fixture reloads
        response["json"] = json.loads(response["body"]) if response.get("body") else None
        response["hdr"] = response_headers(response)
        response["metrics"] = emf_metrics(capsys.readouterr().out)
        return response

    return _invoke


@pytest.fixture
def sagemaker(env: pytest.MonkeyPatch) -> Iterator[Any]:
    """botocore Stubber on the handler's sagemaker-runtime client."""
    from botocore.stub import Stubber
    from frontdoor import clients

    with Stubber(clients.sagemaker_runtime()) as stubber:
        yield stubber


@pytest.fixture
def bedrock(env: pytest.MonkeyPatch) -> Iterator[Any]:
    """``BACKEND=bedrock`` and a botocore Stubber on the handler's bedrock-runtime client."""
    from botocore.stub import Stubber
    from frontdoor import clients, config

    env.setenv("BACKEND", "bedrock")
    config.settings.cache_clear()
    with Stubber(clients.bedrock_runtime()) as stubber:
        yield stubber


@pytest.fixture
def cors(env: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """``cors("https://a,https://b")`` sets ``CORS_ALLOWED_ORIGINS`` and re-imports ``frontdoor.app``.

    The resolver's CORS configuration is fixed when the module is imported (as in Lambda, once per execution
    environment); teardown re-imports it without the variable.
    """
    import importlib

    from frontdoor import app

    def _configure(origins: str) -> None:
        env.setenv("CORS_ALLOWED_ORIGINS", origins)
        importlib.reload(app)

    yield _configure
    env.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    importlib.reload(app)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the handler logs (Powertools logger with its JSON formatter, plus the root logger)."""
    from frontdoor.observability import logger

    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    root = logging.getLogger()
    root_handler = logging.StreamHandler(sink)
    root.addHandler(root_handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield sink
    root.setLevel(old_level)
    root.removeHandler(root_handler)
    logger.removeHandler(handler)
