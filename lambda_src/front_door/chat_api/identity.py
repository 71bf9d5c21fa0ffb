"""Who is calling: the API Gateway authorizer's identity (Cognito ``sub`` / IAM principal), or a local identity.

On Lambda the Lambda Web Adapter forwards API Gateway's ``requestContext`` as the ``x-amzn-request-context`` header
(it sets the header from the event, replacing any header of that name a client sent) and the invocation context as
``x-amzn-lambda-context`` (with the invocation ``deadline`` in epoch milliseconds).
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from chat_api.protocol import ChatError
from chat_api.settings import ChatSettings

REQUEST_CONTEXT = "x-amzn-request-context"
LAMBDA_CONTEXT = "x-amzn-lambda-context"
LOCAL_IDENTITY = "local"
DEV_IDENTITY = "dev"


class MalformedEvent(ChatError):
    """The platform (not the caller) sent something unusable: 400, counted as ``MalformedEvents``."""

    def __init__(self, what: str) -> None:
        super().__init__(
            400, "malformed_event", f"The request context is malformed ({what}).", metric="MalformedEvents"
        )


@dataclass(frozen=True, slots=True)
class Invocation:
    """Per-request facts from the platform: caller identity, request id, invocation deadline (epoch s) if known."""

    caller: str
    request_id: str | None
    deadline: float | None


def _json_header(headers: Any, name: str) -> dict[str, Any] | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise MalformedEvent(name) from None
    if not isinstance(value, dict):
        raise MalformedEvent(name)
    return value


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def apigateway_caller(context: dict[str, Any]) -> str | None:
    """``cognito:<sub>`` from a Cognito user pool authorizer, ``iam:<arn>`` from IAM auth, else ``None``."""
    authorizer = context.get("authorizer")
    if isinstance(authorizer, dict):
        claims = authorizer.get("claims")
        if isinstance(claims, dict) and _str(claims.get("sub")):
            return f"cognito:{claims['sub']}"
        if _str(authorizer.get("principalId")):
            return f"authorizer:{authorizer['principalId']}"
    identity = context.get("identity")
    if isinstance(identity, dict):
        arn = _str(identity.get("userArn")) or _str(identity.get("caller"))
        if arn:
            return f"iam:{arn}"
    return None


def invocation(headers: Any, s: ChatSettings) -> Invocation:
    """Resolve the caller (401 when there is none) and the deadline of the current request."""
    deadline: float | None = None
    request_id: str | None = None
    if s.identity == "apigateway":
        lambda_ctx = _json_header(headers, LAMBDA_CONTEXT) or {}
        raw_deadline = lambda_ctx.get("deadline", lambda_ctx.get("deadline_ms"))
        if isinstance(raw_deadline, int | float) and not isinstance(raw_deadline, bool) and raw_deadline > 0:
            deadline = raw_deadline / 1000.0
        context = _json_header(headers, REQUEST_CONTEXT)
        if context is None:
            raise ChatError(401, "missing_identity", "No authenticated caller.")
        request_id = _str(context.get("requestId"))
        caller = apigateway_caller(context)
        if caller is None:
            raise ChatError(401, "missing_identity", "No authenticated caller.")
        return Invocation(caller, request_id, deadline)
    if s.identity == "dev-token":
        auth = headers.get("authorization") or ""
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        if not (s.dev_token and hmac.compare_digest(token.encode(), s.dev_token.encode())):
            raise ChatError(401, "invalid_api_key", "Send Authorization: Bearer <dev token>.")
        return Invocation(DEV_IDENTITY, None, None)
    return Invocation(LOCAL_IDENTITY, None, None)


def remaining_s(deadline: float | None, default: float) -> float:
    """Seconds until ``deadline`` (epoch seconds), or ``default`` when there is no deadline."""
    return default if deadline is None else deadline - time.time()
