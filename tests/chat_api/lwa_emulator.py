"""What the AWS Lambda Web Adapter does with an API Gateway REST proxy event in ``response_stream`` mode, for tests.

It turns the event into an HTTP request to the app (method, path, query, headers, body; ``requestContext`` as the
``x-amzn-request-context`` header, replacing any client header of that name; the invocation context as
``x-amzn-lambda-context``) and streams the answer back in the format API Gateway's STREAM integrations expect: a JSON
prelude ``{"statusCode", "headers"}``, eight NUL bytes, then the body bytes as they arrive.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

DELIMITER = b"\x00" * 8


def forward(event: dict[str, Any], base_url: str, timeout_ms: int = 60_000) -> Iterator[bytes]:
    """Yield the streamed Lambda response (prelude, delimiter, body chunks) for ``event``."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    headers["x-amzn-request-context"] = json.dumps(event.get("requestContext") or {})
    headers["x-amzn-lambda-context"] = json.dumps(
        {"request_id": "lambda-req-1", "deadline": int(time.time() * 1000) + timeout_ms}
    )
    body = event.get("body") or ""
    content = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8", "surrogatepass")
    params = event.get("multiValueQueryStringParameters") or {}
    with httpx.stream(
        event["httpMethod"], base_url + event["path"], headers=headers, content=content, params=params, timeout=30
    ) as resp:
        prelude = {"statusCode": resp.status_code, "headers": dict(resp.headers)}
        yield json.dumps(prelude).encode() + DELIMITER
        yield from resp.iter_raw()


def split(stream: Iterator[bytes]) -> tuple[dict[str, Any], list[bytes]]:
    """``(prelude, body chunks)`` of a streamed response."""
    first = next(stream)
    head, _, rest = first.partition(DELIMITER)
    chunks = [rest] if rest else []
    chunks.extend(stream)
    return json.loads(head), chunks


def rest_event(method: str, path: str, body: dict[str, Any] | None, sub: str = "user-1") -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event with a Cognito user pool authorizer."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {
            "Content-Type": "application/json",
            "Host": "abc.execute-api.us-east-1.amazonaws.com",
            "x-amzn-request-context": json.dumps({"authorizer": {"claims": {"sub": "spoofed"}}}),
        },
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "stage": "live",
            "authorizer": {"claims": {"sub": sub, "email": "someone@example.com"}},
            "identity": {"sourceIp": "203.0.113.9", "apiKeyId": "k1"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
