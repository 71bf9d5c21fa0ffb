"""POST /v1/generate on both backends: answer, upstream payloads and the stored (redacted) interaction."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest
from botocore.stub import ANY
from front_door_support import (
    BUCKET,
    ENDPOINT,
    LAMBDA_DIR,
    MODEL_ID,
    REQUEST_ID,
    FakeContext,
    converse_response,
    make_event,
    stored,
    tgi_body,
)


class Capture:
    """Stubber ``expected_params`` matcher that records the actual value."""

    value: Any = None

    def __eq__(self, other: object) -> bool:
        self.value = other
        return True


PII_PROMPT = "Email jane.roe@example.com or call 415-555-0134 about my order."


def test_sagemaker_success(s3: Any, sagemaker: Any, invoke: Any) -> None:
    expected = {"EndpointName": ENDPOINT, "Body": ANY, "ContentType": "application/json", "Accept": "application/json"}
    sagemaker.add_response("invoke_endpoint", tgi_body("Bonjour jane.roe@example.com", 5), expected)

    resp = invoke(make_event({"prompt": PII_PROMPT, "parameters": {"max_tokens": 64, "temperature": 0.7},
                              "session_id": "sess-1"}))

    assert resp["statusCode"] == 200, resp["body"]
    body = resp["json"]
    assert body["request_id"] == REQUEST_ID
    assert body["output"] == "Bonjour jane.roe@example.com"  # the caller gets the raw output
    assert body["model"] == ENDPOINT
    assert body["usage"] == {"input_tokens": None, "output_tokens": 5, "total_tokens": None}
    assert body["latency_ms"] >= 0
    assert resp["hdr"]["x-request-id"] == REQUEST_ID
    assert resp["hdr"]["content-type"] == "application/json"
    assert resp["hdr"]["cache-control"] == "no-store"
    sagemaker.assert_no_pending_responses()

    [(key, record)] = stored(s3, "interactions/")
    assert key.startswith("interactions/dt=") and "/hour=" in key and key.endswith(f"/{REQUEST_ID}.json")
    assert record["request_id"] == REQUEST_ID
    assert record["backend"] == "sagemaker"
    assert record["model"] == ENDPOINT and record["model_version"] == "AllTraffic"
    assert record["usage"]["output_tokens"] == 5
    assert record["session_id"] == "sess-1"
    assert "jane.roe@example.com" not in json.dumps(record)
    assert "415-555-0134" not in json.dumps(record)
    assert "[EMAIL_ADDRESS]" in record["prompt"] and "[EMAIL_ADDRESS]" in record["output"]
    counts = record["pii_counts"]
    assert counts["prompt"]["EMAIL_ADDRESS"] == 1 and counts["prompt"]["PHONE_NUMBER"] == 1
    assert counts["output"]["EMAIL_ADDRESS"] == 1
    assert record["prompt_chars"] == len(PII_PROMPT)
    total = sum(sum(c.values()) for c in counts.values())
    assert resp["metrics"]["PiiEntitiesRedacted"] == [float(total)]
    assert resp["metrics"]["OutputTokens"] == [5.0]
    assert "InteractionLogFailures" not in resp["metrics"]


def test_sagemaker_payload_is_tgi_style(s3: Any, sagemaker: Any, invoke: Any) -> None:
    body = Capture()
    sagemaker.add_response("invoke_endpoint", tgi_body(), {"EndpointName": ENDPOINT, "Body": body,
                                                           "ContentType": ANY, "Accept": ANY})
    resp = invoke(make_event({"prompt": "hi", "parameters": {"max_tokens": 10, "temperature": 0, "top_p": 0.9,
                                                           "stop": ["###"]}}))
    assert resp["statusCode"] == 200
    sent = json.loads(body.value)
    assert sent["inputs"] == "hi"
    assert sent["parameters"] == {"max_new_tokens": 10, "return_full_text": False, "details": True,
                                  "do_sample": False, "stop": ["###"]}


@pytest.mark.parametrize("component", [None, "", "llm-endpoint-ic"])
def test_inference_component_is_named_only_when_configured(s3: Any, sagemaker: Any, invoke: Any, env: Any,
                                                           component: str | None) -> None:
    """Scale-to-zero endpoints host an inference component: ``InferenceComponentName`` must be sent."""
    if component is not None:
        env.setenv("INFERENCE_COMPONENT_NAME", component)
    from frontdoor import config

    config.settings.cache_clear()
    expected = {"EndpointName": ENDPOINT, "Body": ANY, "ContentType": "application/json", "Accept": "application/json"}
    if component:
        expected["InferenceComponentName"] = component
    sagemaker.add_response("invoke_endpoint", tgi_body(), expected)  # Stubber checks the exact parameter set
    resp = invoke(make_event({"prompt": "hi"}))
    assert resp["statusCode"] == 200, resp["body"]
    assert resp["json"]["model"] == ENDPOINT
    sagemaker.assert_no_pending_responses()


def test_lmi_dict_answer_with_usage(s3: Any, sagemaker: Any, invoke: Any) -> None:
    from io import BytesIO

    from botocore.response import StreamingBody

    raw = json.dumps({"generated_text": "ok", "usage": {"prompt_tokens": 4, "completion_tokens": 1}}).encode()
    sagemaker.add_response("invoke_endpoint", {"Body": StreamingBody(BytesIO(raw), len(raw))})
    resp = invoke(make_event({"prompt": "hi"}))
    assert resp["statusCode"] == 200
    assert resp["json"]["usage"] == {"input_tokens": 4, "output_tokens": 1, "total_tokens": 5}


def test_bedrock_success_with_guardrail(s3: Any, bedrock: Any, invoke: Any, env: Any) -> None:
    env.setenv("GUARDRAIL_ID", "gr-123")
    env.setenv("GUARDRAIL_VERSION", "3")
    from frontdoor import config

    config.settings.cache_clear()
    expected = {
        "modelId": MODEL_ID,
        "messages": [{"role": "user", "content": [{"text": PII_PROMPT}]}],
        "inferenceConfig": {"maxTokens": 100, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]},
        "guardrailConfig": {"guardrailIdentifier": "gr-123", "guardrailVersion": "3", "trace": "disabled"},
    }
    bedrock.add_response("converse", converse_response("Sure, jane.roe@example.com."), expected)
    resp = invoke(make_event({"prompt": PII_PROMPT, "parameters": {"max_tokens": 100, "temperature": 0.2,
                                                                 "top_p": 0.9, "stop": ["END"]}}))

    assert resp["statusCode"] == 200, resp["body"]
    assert resp["json"]["output"] == "Sure, jane.roe@example.com."
    assert resp["json"]["model"] == MODEL_ID
    assert resp["json"]["stop_reason"] == "end_turn"
    assert resp["json"]["usage"] == {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    bedrock.assert_no_pending_responses()
    [(_, record)] = stored(s3, "interactions/")
    assert record["backend"] == "bedrock" and record["model"] == MODEL_ID
    assert record["usage"]["input_tokens"] == 12
    assert "jane.roe@example.com" not in json.dumps(record)


def test_guardrail_intervention_is_counted(s3: Any, bedrock: Any, invoke: Any) -> None:
    bedrock.add_response("converse", converse_response("Sorry, I can't help with that.", "guardrail_intervened"))
    resp = invoke(make_event({"prompt": "something blocked"}))
    assert resp["statusCode"] == 200
    assert resp["json"]["stop_reason"] == "guardrail_intervened"
    assert resp["metrics"]["GuardrailInterventions"] == [1.0]


def test_kms_key_is_used_for_records(s3: Any, sagemaker: Any, invoke: Any, env: Any) -> None:
    env.setenv("KMS_KEY_ID", "arn:aws:kms:us-east-1:123456789012:key/abcd")
    from frontdoor import config

    config.settings.cache_clear()
    seen: dict[str, Any] = {}
    s3.meta.events.register("before-call.s3.PutObject",
                            lambda params, **_: seen.update(params.get("headers", {})))
    sagemaker.add_response("invoke_endpoint", tgi_body())
    assert invoke(make_event({"prompt": "hi"}))["statusCode"] == 200
    assert seen["x-amz-server-side-encryption"] == "aws:kms"
    assert seen["x-amz-server-side-encryption-aws-kms-key-id"].endswith("key/abcd")


def test_storage_failure_does_not_fail_the_answer(s3: Any, sagemaker: Any, invoke: Any) -> None:
    s3.delete_bucket(Bucket=BUCKET)
    sagemaker.add_response("invoke_endpoint", tgi_body("fine"))
    resp = invoke(make_event({"prompt": "hello"}))
    assert resp["statusCode"] == 200
    assert resp["json"]["output"] == "fine"
    assert resp["metrics"]["InteractionLogFailures"] == [1.0]


def test_unset_bucket_counts_as_storage_failure(s3: Any, sagemaker: Any, invoke: Any, env: Any) -> None:
    env.delenv("INTERACTIONS_BUCKET")
    from frontdoor import config

    config.settings.cache_clear()
    sagemaker.add_response("invoke_endpoint", tgi_body())
    resp = invoke(make_event({"prompt": "hello"}))
    assert resp["statusCode"] == 200
    assert resp["metrics"]["InteractionLogFailures"] == [1.0]


def test_base64_body_is_accepted(s3: Any, sagemaker: Any, invoke: Any) -> None:
    sagemaker.add_response("invoke_endpoint", tgi_body())
    resp = invoke(make_event({"prompt": "hi"}, b64=True))
    assert resp["statusCode"] == 200


def test_handler_module_entry_point(s3: Any, sagemaker: Any) -> None:
    spec = importlib.util.spec_from_file_location("front_door_handler_entry", LAMBDA_DIR / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sagemaker.add_response("invoke_endpoint", tgi_body())
    resp = module.lambda_handler(make_event({"prompt": "hi"}), FakeContext())
    assert resp["statusCode"] == 200
