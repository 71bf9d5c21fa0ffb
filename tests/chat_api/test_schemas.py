"""The shipped JSON schemas (``lambda_src/front_door/schemas``): draft-04 (API Gateway models), and consistent with
what the chat API accepts and answers (moved from the previous handler's tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from chat_support import LAMBDA_DIR, local_settings
from starlette.testclient import TestClient

SCHEMA_FILES = sorted((LAMBDA_DIR / "schemas").glob("*.json"))
#: Draft-04 keywords API Gateway models accept (no remote $ref, no draft-06+ words).
DRAFT4_KEYWORDS = {
    "$schema", "title", "description", "type", "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "pattern", "enum", "oneOf",
}  # fmt: skip


def keywords(schema: Any) -> set[str]:
    """Every keyword used in a schema, recursively (property names excluded)."""
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        if key == "properties":
            for sub in value.values():
                found |= keywords(sub)
        elif key in ("items", "additionalProperties"):
            found |= keywords(value)
        elif key == "oneOf":
            for sub in value:
                found |= keywords(sub)
    return found


def validator(name: str) -> Any:
    return fastjsonschema.compile(json.loads((LAMBDA_DIR / "schemas" / f"{name}.json").read_text()))


def test_all_schemas_present() -> None:
    assert {p.stem for p in SCHEMA_FILES} == {
        "chat_completion_request", "chat_feedback_request", "generate_request", "generate_response",
        "feedback_response", "error_response"}  # fmt: skip


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_is_api_gateway_draft4(path: Path) -> None:
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert keywords(schema) <= DRAFT4_KEYWORDS
    fastjsonschema.compile(schema)


ACCEPTED = [
    {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 16,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["\n"],
        "user": "u-1",
        "conversation_id": "conv_" + "a" * 32,
    },
    {
        "messages": [
            {"role": "developer", "content": "x"},
            {"role": "user", "content": "y"},
            {"role": "assistant", "content": "z"},
            {"role": "user", "content": "again"},
        ],
        "max_completion_tokens": 8,
        "stop": "END",
        "retrieval": {"enabled": True, "top_k": 3},
    },
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_the_gateway_model_accepts_what_the_app_accepts(tmp_path: Path, body: dict[str, Any]) -> None:
    """API Gateway validates against the request model before the app sees the body: it must not refuse a request
    the app would answer."""
    from chat_api.app import create_app

    validator("chat_completion_request")(body)
    with TestClient(create_app(local_settings(tmp_path))) as c:
        resp = c.post(
            "/v1/chat/completions", json={**body, "conversation_id": None} if "conversation_id" in body else body
        )
    assert resp.status_code == 200, resp.text


def test_answers_match_the_response_schemas(tmp_path: Path) -> None:
    from chat_api.app import create_app

    with TestClient(create_app(local_settings(tmp_path)), raise_server_exceptions=False) as c:
        validator("generate_response")(c.post("/v1/generate", json={"prompt": "hi"}).json())
        cid = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}).json()["id"]
        fb = c.post("/v1/feedback", json={"completion_id": cid, "rating": "up"})
        validator("chat_feedback_request")({"completion_id": cid, "rating": "up"})
        validator("feedback_response")(fb.json())
        for resp in (
            c.post("/v1/chat/completions", content=b"{"),
            c.get("/v1/nowhere"),
            c.post("/v1/feedback", json={"completion_id": "chatcmpl-" + "0" * 24, "rating": 1}),
        ):
            assert resp.status_code >= 400
            validator("error_response")(resp.json())
