"""Helpers shared by the front-door tests (importable because conftest puts this folder on sys.path)."""

from __future__ import annotations

import base64
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = ROOT / "lambda_src" / "front_door"
# Appended, not prepended: only the uniquely named ``frontdoor`` package is imported from the Lambda folder,
# so other suites' top-level ``handler`` modules keep precedence.
for _p in (str(ROOT), str(LAMBDA_DIR)):
    if _p not in sys.path:
        sys.path.append(_p)

BUCKET = "interactions-test"
ENDPOINT = "llm-endpoint"
MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


@dataclass
class FakeContext:
    """The LambdaContext attributes Powertools reads."""

    function_name: str = "front-door"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:front-door"
    aws_request_id: str = "0b9f5a6e-1111-2222-3333-444455556666"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def make_event(
    body: Any = None,
    path: str = "/v1/generate",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    b64: bool = False,
    request_id: str = REQUEST_ID,
) -> dict[str, Any]:
    """A REST API (v1) proxy integration event; dict bodies are JSON-encoded."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if b64 and body is not None:
        body = base64.b64encode(body.encode() if isinstance(body, str) else body).decode()
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"} if headers is None else headers,
        "multiValueHeaders": None,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": request_id,
            "identity": {"sourceIp": "203.0.113.10"},
        },
        "body": body,
        "isBase64Encoded": b64,
    }


def reset_caches() -> None:
    """Forget settings, clients and compiled schemas (they are cached per execution environment)."""
    from frontdoor import clients, config, schemas

    config.settings.cache_clear()
    schemas.compiled.cache_clear()
    for fn in (clients.sagemaker_runtime, clients.bedrock_runtime, clients.s3):
        getattr(fn, "cache_clear", lambda: None)()  # may still be monkeypatched during teardown


def stored(s3_client: Any, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """All records under ``prefix`` as ``(key, json)``."""
    listing = s3_client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return [(o["Key"], json.loads(s3_client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()))
            for o in listing]


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """Lower-cased response headers from ``headers`` and ``multiValueHeaders`` (last value wins)."""
    merged = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        merged[key.lower()] = values[-1]
    return merged


def emf_metrics(stdout: str) -> dict[str, list[float]]:
    """Metric values from the EMF blobs printed by Powertools Metrics."""
    found: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if not isinstance(blob, dict) or "_aws" not in blob:
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return found


def tgi_body(text: str = "Paris is the capital of France.", tokens: int = 7) -> dict[str, Any]:
    """A TGI ``invoke_endpoint`` answer as the Stubber expects it."""
    from botocore.response import StreamingBody

    raw = json.dumps([{"generated_text": text, "details": {"finish_reason": "eos_token",
                                                           "generated_tokens": tokens}}]).encode()
    return {"Body": StreamingBody(io.BytesIO(raw), len(raw)), "ContentType": "application/json",
            "InvokedProductionVariant": "AllTraffic"}


def converse_response(text: str = "Paris.", stop: str = "end_turn") -> dict[str, Any]:
    """A Bedrock ``converse`` answer."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
        "metrics": {"latencyMs": 120},
    }
