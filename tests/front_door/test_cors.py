"""CORS on the handler's own responses: ``Access-Control-Allow-Origin`` only for a listed ``Origin``."""

from __future__ import annotations

from typing import Any

import pytest
from front_door_support import make_event, tgi_body

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-headers", "access-control-expose-headers",
                "access-control-max-age", "access-control-allow-credentials")


def with_origin(origin: str | None, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if origin is not None:
        headers["Origin"] = origin
    return make_event({"prompt": "hi"} if body is None else body, headers=headers, **kwargs)


def cors_headers(resp: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in resp["hdr"].items() if k.startswith("access-control-")}


@pytest.mark.parametrize("origin", [APP, ADMIN])
def test_allowed_origin_is_echoed_on_success(s3: Any, sagemaker: Any, cors: Any, invoke: Any, origin: str) -> None:
    cors(f"{APP},{ADMIN}")
    sagemaker.add_response("invoke_endpoint", tgi_body())
    resp = invoke(with_origin(origin))
    assert resp["statusCode"] == 200, resp["body"]
    assert resp["hdr"]["access-control-allow-origin"] == origin
    assert "access-control-allow-credentials" not in resp["hdr"]
    assert set(resp["hdr"]["access-control-allow-headers"].split(",")) == {
        "Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token"}
    assert resp["hdr"]["access-control-expose-headers"] == "X-Request-Id,Retry-After"
    assert resp["hdr"]["access-control-max-age"] == "600"
    assert resp["hdr"]["vary"] == "Origin"
    assert resp["hdr"]["x-request-id"] and resp["hdr"]["cache-control"] == "no-store"  # own headers kept


@pytest.mark.parametrize(
    ("event", "status"),
    [
        (with_origin(ADMIN, "{not json"), 400),  # custom ApiError handler
        (with_origin(ADMIN, {"prompt": 1}), 400),  # schema violation handler
        (with_origin(ADMIN, {"prompt": " "}), 422),
        (with_origin(ADMIN, path="/v1/nope"), 404),  # not-found handler
        (with_origin(ADMIN, method="GET"), 405),
    ],
)
def test_allowed_origin_is_echoed_on_errors(env: Any, cors: Any, invoke: Any, event: dict[str, Any],
                                            status: int) -> None:
    cors(f"{APP},{ADMIN}")
    resp = invoke(event)
    assert resp["statusCode"] == status, resp["body"]
    assert resp["json"]["error"]["code"]
    assert resp["hdr"]["access-control-allow-origin"] == ADMIN


def test_allowed_origin_is_echoed_on_upstream_and_unhandled_errors(s3: Any, sagemaker: Any, env: Any, cors: Any,
                                                                   invoke: Any) -> None:
    cors(APP)
    sagemaker.add_client_error("invoke_endpoint", service_error_code="ThrottlingException", http_status_code=400)
    resp = invoke(with_origin(APP))
    assert resp["statusCode"] == 429 and resp["hdr"]["access-control-allow-origin"] == APP
    from frontdoor import backends

    env.setattr(backends, "generate", lambda *_: {}["bug"])
    resp = invoke(with_origin(APP))
    assert resp["statusCode"] == 500 and resp["hdr"]["access-control-allow-origin"] == APP


@pytest.mark.parametrize("origin", ["https://evil.example.com", "https://app.example.com.evil.com", "null", None])
def test_other_origins_get_no_cors_headers(s3: Any, sagemaker: Any, cors: Any, invoke: Any,
                                           origin: str | None) -> None:
    cors(f"{APP},{ADMIN}")
    sagemaker.add_response("invoke_endpoint", tgi_body())
    assert (resp := invoke(with_origin(origin)))["statusCode"] == 200
    assert cors_headers(resp) == {}
    resp = invoke(with_origin(origin, "{not json"))
    assert resp["statusCode"] == 400
    assert cors_headers(resp) == {}


@pytest.mark.parametrize("value", [None, "", " , "])
def test_cors_off_when_unset_or_empty(s3: Any, sagemaker: Any, env: Any, cors: Any, invoke: Any,
                                      value: str | None) -> None:
    if value is not None:
        cors(value)
    sagemaker.add_response("invoke_endpoint", tgi_body())
    resp = invoke(with_origin(APP))
    assert resp["statusCode"] == 200
    assert cors_headers(resp) == {} and "vary" not in resp["hdr"]
    resp = invoke(with_origin(APP, "{not json"))
    assert resp["statusCode"] == 400 and cors_headers(resp) == {}
    resp = invoke(with_origin(APP, method="OPTIONS"))
    assert resp["statusCode"] == 405 and cors_headers(resp) == {}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_options_reaching_the_handler_is_a_preflight_answer(env: Any, cors: Any, invoke: Any) -> None:
    """API Gateway answers preflights itself; should one reach the function, Powertools answers it."""
    cors(APP)
    resp = invoke(with_origin(APP, method="OPTIONS", body=""))
    assert resp["statusCode"] == 204
    assert resp["hdr"]["access-control-allow-origin"] == APP
    assert resp["hdr"]["access-control-allow-methods"] == "OPTIONS,POST"
