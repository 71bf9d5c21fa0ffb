"""The shipped JSON schemas: draft-04 (API Gateway models), compilable, and matching what the handler returns."""

from __future__ import annotations

import json
from typing import Any

import fastjsonschema
import pytest
from front_door_support import LAMBDA_DIR, make_event, tgi_body

SCHEMA_FILES = sorted((LAMBDA_DIR / "schemas").glob("*.json"))
# Draft-04 validation keywords API Gateway models accept (no $ref to remote documents, no draft-06+ words).
DRAFT4_KEYWORDS = {
    "$schema", "title", "description", "type", "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "pattern", "enum", "oneOf",
}


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


def test_all_schemas_present() -> None:
    assert {p.stem for p in SCHEMA_FILES} == {
        "generate_request", "feedback_request", "generate_response", "feedback_response", "error_response",
        "chat_completion_request", "chat_feedback_request"}


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_is_api_gateway_draft4(path: Any) -> None:
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert keywords(schema) <= DRAFT4_KEYWORDS
    fastjsonschema.compile(schema)


def test_prompt_limit_override(env: Any) -> None:
    from frontdoor.schemas import load_schema

    assert load_schema("generate_request")["properties"]["prompt"]["maxLength"] == 8000
    assert load_schema("generate_request", 100)["properties"]["prompt"]["maxLength"] == 100
    assert load_schema("feedback_request", 100) == load_schema("feedback_request")


def response_validator(name: str) -> Any:
    from frontdoor.schemas import load_schema

    return fastjsonschema.compile(load_schema(name))


def test_answers_match_response_schemas(s3: Any, sagemaker: Any, invoke: Any) -> None:
    sagemaker.add_response("invoke_endpoint", tgi_body())
    response_validator("generate_response")(invoke(make_event({"prompt": "hi"}))["json"])
    feedback = invoke(make_event({"request_id": "9d8c7b6a-5432-4f10-9e8d-7c6b5a493827", "rating": "up"},
                                 path="/v1/feedback"))
    response_validator("feedback_response")(feedback["json"])
    response_validator("error_response")(invoke(make_event("{"))["json"])
