"""CLI (subprocess) and second-tier (Amazon Comprehend via botocore Stubber) tests."""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest
from botocore.stub import Stubber

from pii_engine import Engine, EngineConfig
from pii_engine.second_tier import ComprehendSecondTier, register, registered
from tests.processes import run_python


def run_cli(args: list[str], stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m pii_engine <args>`` with ``stdin``, no ``PII_HASH_KEY`` unless ``env`` sets it."""
    return run_python("-m", "pii_engine", *args, env={"PII_HASH_KEY": None, **(env or {})}, stdin=stdin, timeout=60)


def test_cli_detect_keeps_lines_aligned() -> None:
    lines = [
        '{"text": "mail a@example.com"}',
        "not json",
        '{"text": 3}',
        '{"text": "nothing"}',
        '{"text": "MRN 1234567", "field": "notes"}',
    ]
    proc = run_cli(["detect"], "\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["entities"] == [{"type": "EMAIL_ADDRESS", "start": 5, "end": 18, "score": 0.95}]
    assert "error" in out[1] and "line 2" in out[1]["error"]
    assert "error" in out[2]
    assert out[3] == {"entities": []}
    assert out[4]["entities"][0]["type"] == "MEDICAL_RECORD_NUMBER"


def test_cli_redact_mask_and_hash_key_from_env() -> None:
    proc = run_cli(["redact"], '{"text": "ssn 123-45-6789"}\n')
    assert json.loads(proc.stdout) == {"text": "ssn [US_SSN]"}
    secret = "cli-secret-value"
    proc = run_cli(
        ["redact", "--mode", "hash"],
        '{"text": "ssn 123-45-6789"}\n',
        {"PII_HASH_KEY": secret},
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["text"].startswith("ssn [US_SSN:")
    assert secret not in proc.stdout + proc.stderr


def test_cli_hash_without_key_fails_cleanly() -> None:
    proc = run_cli(["redact", "--mode", "hash", "--hash-key-env", "MY_KEY"], '{"text": "x"}\n')
    assert proc.returncode == 2 and "MY_KEY" in proc.stderr and proc.stdout == ""


def test_cli_drop_flag() -> None:
    proc = run_cli(["redact", "--mode", "drop"], '{"text": "ssn 123-45-6789"}\n{"text": "clean"}\n')
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out == [{"text": "ssn [US_SSN]", "drop": True}, {"text": "clean"}]


# ------------------------------------------------------------------------------------------- second tier


@pytest.fixture
def stubbed_comprehend() -> tuple[Stubber, ComprehendSecondTier]:
    client = boto3.client(
        "comprehend",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )
    return Stubber(client), ComprehendSecondTier(client=client)


def test_comprehend_maps_types_and_offsets(
    stubbed_comprehend: tuple[Stubber, ComprehendSecondTier],
) -> None:
    stubber, tier = stubbed_comprehend
    text = "zorblax quuxington owes money"
    stubber.add_response(
        "detect_pii_entities",
        {
            "Entities": [
                {"Type": "NAME", "Score": 0.99, "BeginOffset": 0, "EndOffset": 18},
                {
                    "Type": "PIN",
                    "Score": 0.9,
                    "BeginOffset": 19,
                    "EndOffset": 23,
                },  # unmapped type is ignored
            ]
        },
        {"Text": text, "LanguageCode": "en"},
    )
    register("comprehend-stubbed", lambda: tier)
    assert "comprehend" in registered()
    engine = Engine(EngineConfig(second_tier="comprehend-stubbed"))
    with stubber:
        result = engine.detect(text)
    stubber.assert_no_pending_responses()
    assert [(s.type, text[s.start : s.end]) for s in result] == [("PERSON", "zorblax quuxington")]


def test_comprehend_chunks_and_errors_propagate(
    stubbed_comprehend: tuple[Stubber, ComprehendSecondTier],
) -> None:
    stubber, tier = stubbed_comprehend
    tier.max_chars = 10
    text = "aaaaaaaaaabbbbbbbbbbcc"
    for chunk in ("aaaaaaaaaa", "bbbbbbbbbb", "cc"):
        stubber.add_response(
            "detect_pii_entities",
            {"Entities": [{"Type": "SSN", "Score": 0.8, "BeginOffset": 1, "EndOffset": 2}]},
            {"Text": chunk, "LanguageCode": "en"},
        )
    stubber.add_client_error("detect_pii_entities", "ThrottlingException")
    with stubber:
        spans = tier.detect(text)
        assert [(s.start, s.end) for s in spans] == [(1, 2), (11, 12), (21, 22)]
        with pytest.raises(Exception, match="ThrottlingException"):
            tier.detect("x")
