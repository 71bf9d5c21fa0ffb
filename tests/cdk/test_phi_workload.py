"""Nothing unredacted is persisted by default (issue 10, defect 10).

``serving.phi_workload`` (default true, set explicitly for prod in cdk.json) turns SageMaker data capture
(raw prompts and outputs) off, and asking for capture with it on is a configuration error naming the keys.
Only ``serving.phi_workload=false`` lets ``serving.data_capture_percent`` through to the endpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from pipeline_stacks.config import ConfigError, PipelineConfig, load_config
from pipeline_stacks.constructs import DataLake, ModelEndpointProps
from pipeline_stacks.stacks.serving import ServingStack
from tests.cdk.support import REPO_ROOT, SynthResult, cdk_json_context

SAGEMAKER = {"serving.backend": "sagemaker", "serving.model_package_arn": "llm-pipeline/1"}


def _load(**context: Any) -> PipelineConfig:
    ctx = {**cdk_json_context(), **context}
    return load_config(ctx.get, all_context=ctx)


def _endpoint_config(config: PipelineConfig) -> dict[str, Any]:
    """The EndpointConfig the serving stack builds from ``config`` (a data stack + the serving stack only)."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    env = cdk.Environment(account="123456789012", region="us-east-1")
    lake = DataLake(cdk.Stack(app, "Data", env=env), "Lake")
    serving = ServingStack(app, "Serving", config=config, data_lake=lake, env=env)
    resources = app.synth().get_stack_by_name(serving.stack_name).template["Resources"]
    (config_resource,) = [r for r in resources.values() if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    return config_resource["Properties"]


def test_phi_workload_is_the_default_and_set_for_prod() -> None:
    assert _load().serving.phi_workload is True
    assert _load(env="prod").serving.phi_workload is True
    prod = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["llm-pipeline:environments"]["prod"]["serving"]
    assert prod["phi_workload"] is True and "data_capture_percent" not in prod


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_capture_with_phi_workload_is_an_error_naming_the_keys(env: str) -> None:
    with pytest.raises(ConfigError, match=r"serving\.data_capture_percent=5 with serving\.phi_workload=true"):
        _load(env=env, **SAGEMAKER, **{"serving.data_capture_percent": 5})


def test_phi_workload_turns_the_default_capture_off() -> None:
    config = _load(**SAGEMAKER)
    assert config.serving.data_capture_percent == 10  # the default, only used with phi_workload=false
    assert "DataCaptureConfig" not in _endpoint_config(config)


def test_capture_only_when_phi_workload_is_false() -> None:
    config = _load(**SAGEMAKER, **{"serving.phi_workload": False, "serving.data_capture_percent": 5})
    capture = _endpoint_config(config)["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 5


def test_prod_app_persists_no_raw_payloads(prod: SynthResult) -> None:
    resources = prod.template("serving").to_json()["Resources"].values()
    assert not [r for r in resources if "DataCaptureConfig" in r.get("Properties", {})]
    policies = [
        r["Properties"]["PolicyDocument"]
        for r in resources
        if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
    ]
    assert policies and "data-capture" not in json.dumps(policies)  # nor a grant to write there


def test_construct_default_captures_nothing() -> None:
    props = ModelEndpointProps(endpoint_name="e", model_data_prefix="models/x/")
    assert props.data_capture_percent == 0


def test_privacy_doc_lists_every_place_raw_text_can_exist() -> None:
    text = (REPO_ROOT / "docs" / "privacy.md").read_text()
    section = text.split("## Where raw text can exist", 1)[1].split("\n## ", 1)[0]
    for place in (
        "raw bucket",
        "quarantine bucket",
        "Lambda memory",
        "CloudWatch Logs",
        "serving.phi_workload",
        "Bedrock model-invocation logging",
        "API Gateway execution log",
        "API response",
    ):
        assert place in section, place


def test_configuration_reference_documents_phi_workload() -> None:
    assert "`serving.phi_workload`" in (Path(REPO_ROOT) / "docs" / "configuration.md").read_text()
