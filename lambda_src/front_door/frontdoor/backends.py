"""Model backends: SageMaker real-time endpoint (TGI/LMI JSON) and Amazon Bedrock (Converse API)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from frontdoor import clients
from frontdoor.config import Settings
from frontdoor.errors import ApiError

DEFAULT_MAX_TOKENS = 512


@dataclass(frozen=True, slots=True)
class Generation:
    """One model answer with the metadata stored alongside the interaction."""

    output: str
    model: str
    model_version: str | None
    stop_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    latency_ms: float

    def usage(self) -> dict[str, int | None]:
        """Token counts as returned to the caller (``None`` where the backend does not report them)."""
        total = None
        if self.input_tokens is not None and self.output_tokens is not None:
            total = self.input_tokens + self.output_tokens
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "total_tokens": total}


def _bad_upstream(what: str) -> ApiError:
    return ApiError(502, "model_error", f"The model returned an unusable response ({what}).",
                    metric="UpstreamModelErrors")


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def tgi_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """Map API parameters to TGI/LMI ``parameters`` (greedy when temperature or top_p is 0)."""
    out: dict[str, Any] = {
        "max_new_tokens": int(params.get("max_tokens", DEFAULT_MAX_TOKENS)),
        "return_full_text": False,
        "details": True,
    }
    temperature, top_p = params.get("temperature"), params.get("top_p")
    if temperature == 0 or top_p == 0:
        out["do_sample"] = False
    else:
        if temperature is not None:
            out["temperature"] = float(temperature)
        if top_p is not None and top_p < 1:  # TGI requires 0 < top_p < 1
            out["top_p"] = float(top_p)
        if "temperature" in out or "top_p" in out:
            out["do_sample"] = True
    if params.get("stop"):
        out["stop"] = list(params["stop"])
    return out


def parse_tgi(body: bytes) -> tuple[str, str | None, int | None, int | None]:
    """Parse a TGI/LMI answer into ``(text, stop_reason, input_tokens, output_tokens)``."""
    try:
        data = json.loads(body)
    except ValueError:
        raise _bad_upstream("not JSON") from None
    if isinstance(data, list) and data:
        data = data[0]
    if not isinstance(data, dict) or not isinstance(data.get("generated_text"), str):
        raise _bad_upstream("no generated_text")
    details: dict[str, Any] = data["details"] if isinstance(data.get("details"), dict) else {}
    usage: dict[str, Any] = data["usage"] if isinstance(data.get("usage"), dict) else {}
    stop = details.get("finish_reason")
    return (
        data["generated_text"],
        stop if isinstance(stop, str) else None,
        _int_or_none(usage.get("prompt_tokens")),
        _int_or_none(usage.get("completion_tokens", details.get("generated_tokens"))),
    )


def invoke_sagemaker(prompt: str, params: dict[str, Any], s: Settings) -> Generation:
    """``InvokeEndpoint`` with ``{"inputs", "parameters"}`` and parse ``generated_text``.

    With ``INFERENCE_COMPONENT_NAME`` (scale-to-zero endpoints) the call names the inference component: an
    endpoint that hosts inference components rejects invocations without one.
    """
    if not s.endpoint_name:
        raise RuntimeError("ENDPOINT_NAME is not set")
    request: dict[str, Any] = {
        "EndpointName": s.endpoint_name,
        "Body": json.dumps({"inputs": prompt, "parameters": tgi_parameters(params)}).encode(),
        "ContentType": "application/json",
        "Accept": "application/json",
    }
    if s.inference_component_name:
        request["InferenceComponentName"] = s.inference_component_name
    start = time.perf_counter()
    resp = clients.sagemaker_runtime().invoke_endpoint(**request)
    body = resp["Body"].read()
    latency_ms = (time.perf_counter() - start) * 1000
    text, stop, tokens_in, tokens_out = parse_tgi(body)
    return Generation(text, s.endpoint_name, s.model_version or resp.get("InvokedProductionVariant"), stop,
                      tokens_in, tokens_out, latency_ms)


def converse_request(prompt: str, params: dict[str, Any], s: Settings) -> dict[str, Any]:
    """Keyword arguments of ``bedrock-runtime.converse`` for one user prompt."""
    inference: dict[str, Any] = {"maxTokens": int(params.get("max_tokens", DEFAULT_MAX_TOKENS))}
    if "temperature" in params:
        inference["temperature"] = float(params["temperature"])
    if "top_p" in params:
        inference["topP"] = float(params["top_p"])
    if params.get("stop"):
        inference["stopSequences"] = list(params["stop"])
    request: dict[str, Any] = {
        "modelId": s.model_id,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": inference,
    }
    if s.guardrail_id:
        request["guardrailConfig"] = {
            "guardrailIdentifier": s.guardrail_id,
            "guardrailVersion": s.guardrail_version,
            "trace": "disabled",
        }
    return request


def invoke_bedrock(prompt: str, params: dict[str, Any], s: Settings) -> Generation:
    """Bedrock ``Converse`` (optionally with a guardrail) and join the answer's text blocks."""
    if not s.model_id:
        raise RuntimeError("MODEL_ID is not set")
    start = time.perf_counter()
    resp = clients.bedrock_runtime().converse(**converse_request(prompt, params, s))
    latency_ms = (time.perf_counter() - start) * 1000
    try:
        blocks = resp["output"]["message"]["content"]
        text = "".join(b["text"] for b in blocks if isinstance(b, dict) and "text" in b)
    except (KeyError, TypeError):
        raise _bad_upstream("no message content") from None
    usage = resp.get("usage") or {}
    return Generation(text, s.model_id, s.model_version, resp.get("stopReason"),
                      _int_or_none(usage.get("inputTokens")), _int_or_none(usage.get("outputTokens")), latency_ms)


def generate(prompt: str, params: dict[str, Any], s: Settings) -> Generation:
    """Call the configured backend."""
    if s.backend == "bedrock":
        return invoke_bedrock(prompt, params, s)
    return invoke_sagemaker(prompt, params, s)
