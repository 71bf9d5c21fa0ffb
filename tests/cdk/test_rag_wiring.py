"""The ``rag.*`` section wired into the app: the knowledge base in the data stack over the sanitized ``knowledge/``
prefix, the sanitization job's document pass, the ingestion alarms in the monitoring stack, and the front-door
Lambda's retrieve permission (this knowledge base only) and environment (``pipeline_contract.FrontDoorEnv``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from pipeline_contract import FrontDoorEnv
from pipeline_stacks.bundling import FRONT_DOOR_RUNTIME_COPIES, Copy, LocalPythonBundling
from pipeline_stacks.config import validate_config
from pipeline_stacks.pipeline import Pipeline, build_pipeline
from tests.cdk.support import SynthResult, cdk_json_context

KENDRA_INDEX = "arn:aws:kendra:us-east-1:123456789012:index/0123abcd-0123-4567-89ab-0123456789ab"


@pytest.fixture(params=["dev", "prod"])
def app(request: pytest.FixtureRequest) -> SynthResult:
    """The default dev and prod apps (cdk.json), synthesized once per session with the compliance packs."""
    return request.getfixturevalue(request.param)


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _only(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = _resources(template, type_)
    assert len(found) == 1, f"{type_}: {list(found)}"
    logical_id, resource = next(iter(found.items()))
    return logical_id, resource["Properties"]


def _logical_id(construct: Any) -> str:
    return cdk.Stack.of(construct).get_logical_id(construct.node.default_child or construct)


def _output_value(templates: dict[str, dict[str, Any]], reference: Any) -> Any:
    """The value a cross-stack reference (``Fn::GetStackOutput`` / ``Fn::ImportValue``) resolves to."""
    if "Fn::GetStackOutput" in reference:
        ref = reference["Fn::GetStackOutput"]
        return templates[ref["StackName"]]["Outputs"][ref["OutputName"]]["Value"]
    name = reference["Fn::ImportValue"]
    return next(
        out["Value"]
        for template in templates.values()
        for out in template.get("Outputs", {}).values()
        if out.get("Export", {}).get("Name") == name
    )


def _templates(result: SynthResult, component: str) -> dict[str, Any]:
    return result.templates[result.pipeline.config.stack_name(component)]


def _front_door_env(template: dict[str, Any]) -> dict[str, Any]:
    (function,) = [
        f for f in _resources(template, "AWS::Lambda::Function").values()
        if "BACKEND" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]  # fmt: skip
    return dict(function["Properties"]["Environment"]["Variables"])


def _statements(template: dict[str, Any], action: str) -> list[dict[str, Any]]:
    out = []
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if action in actions:
                    out.append(statement)
    return out


# --------------------------------------------------------------------------- the default apps (dev and prod)


def test_knowledge_base_lives_in_the_data_stack_and_reads_the_sanitized_knowledge_prefix(app: SynthResult) -> None:
    data = _templates(app, "data")
    kb = app.pipeline.data.knowledge_base
    assert kb is not None
    for component in ("training", "serving", "monitoring"):
        assert not _resources(_templates(app, component), "AWS::Bedrock::KnowledgeBase"), component
    _, props = _only(data, "AWS::Bedrock::KnowledgeBase")
    assert props["Name"] == f"{app.pipeline.config.project_name}-{app.pipeline.config.env_name}-knowledge"
    assert props["StorageConfiguration"]["Type"] == "S3_VECTORS"
    _, source = _only(data, "AWS::Bedrock::DataSource")
    s3 = source["DataSourceConfiguration"]["S3Configuration"]
    sanitized = _logical_id(app.pipeline.data.data_lake.sanitized_bucket)
    assert s3["BucketArn"] == {"Fn::GetAtt": [sanitized, "Arn"]}
    assert s3["InclusionPrefixes"] == ["knowledge/"]
    key_arn = {"Fn::GetAtt": [_logical_id(kb.key), "Arn"]}
    assert source["ServerSideEncryptionConfiguration"] == {"KmsKeyArn": key_arn}
    for type_ in ("AWS::S3Vectors::VectorBucket", "AWS::S3Vectors::Index"):
        _, store = _only(data, type_)
        assert store["EncryptionConfiguration"] == {"SseType": "aws:kms", "KmsKeyArn": key_arn}, type_
    # The sanitization job's document pass writes what the data source reads.
    _, job = _only(data, "AWS::Glue::Job")
    args = job["DefaultArguments"]
    assert json.dumps(args["--knowledge_sanitized_path"]).endswith('/knowledge/"]]}')
    assert sanitized in json.dumps(args["--knowledge_sanitized_path"])
    assert _logical_id(app.pipeline.data.data_lake.raw_bucket) in json.dumps(args["--knowledge_raw_path"])


def test_sanitized_knowledge_uploads_start_the_ingestion_state_machine(app: SynthResult) -> None:
    data = _templates(app, "data")
    kb = app.pipeline.data.knowledge_base
    assert kb is not None and kb.state_machine is not None
    machine_id = _logical_id(kb.state_machine)
    assert data["Resources"][machine_id]["Properties"]["StateMachineName"].endswith("-knowledge-ingestion")
    rules = [
        r["Properties"] for r in _resources(data, "AWS::Events::Rule").values()
        if any(t["Arn"] == {"Ref": machine_id} for t in r["Properties"].get("Targets", []))
    ]  # fmt: skip
    assert len(rules) == 1
    pattern = rules[0]["EventPattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"] == {"name": [{"Ref": _logical_id(app.pipeline.data.data_lake.sanitized_bucket)}]}
    assert pattern["detail"]["object"] == {"key": [{"prefix": "knowledge/"}]}
    definition = "".join(
        p if isinstance(p, str) else "X"
        for p in data["Resources"][machine_id]["Properties"]["DefinitionString"]["Fn::Join"][1]
    )
    assert json.loads(definition)["States"]["SettleBurst"]["Seconds"] == 300  # rag.batch_window_minutes = 5


def test_monitoring_alarms_on_failed_and_timed_out_ingestions_of_this_knowledge_base(app: SynthResult) -> None:
    kb = app.pipeline.data.knowledge_base
    assert kb is not None and kb.state_machine is not None
    monitoring = _templates(app, "monitoring")
    alarms = {
        k: v["Properties"] for k, v in _resources(monitoring, "AWS::CloudWatch::Alarm").items() if "Knowledge" in k
    }
    by_metric = {a["MetricName"]: a for a in alarms.values()}
    assert set(by_metric) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in by_metric.values():
        assert alarm["Namespace"] == "AWS/States" and alarm["Threshold"] == 1
        assert alarm["AlarmActions"] and alarm["OKActions"]
        (dimension,) = alarm["Dimensions"]
        assert dimension["Name"] == "StateMachineArn"
        assert _output_value(app.templates, dimension["Value"]) == {"Ref": _logical_id(kb.state_machine)}


def test_front_door_may_retrieve_from_exactly_this_knowledge_base(app: SynthResult) -> None:
    kb = app.pipeline.data.knowledge_base
    assert kb is not None
    serving = _templates(app, "serving")
    (statement,) = _statements(serving, "bedrock:Retrieve")
    assert statement["Action"] == "bedrock:Retrieve" and statement["Effect"] == "Allow"
    assert _output_value(app.templates, statement["Resource"]) == {
        "Fn::GetAtt": [_logical_id(kb.knowledge_base), "KnowledgeBaseArn"]
    }
    # it is the front door's role that holds it, and nothing else in the app may retrieve
    function = serving["Resources"][_logical_id(app.pipeline.serving.front_door.function)]["Properties"]
    (holder,) = [
        r["Properties"] for r in serving["Resources"].values()
        if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and "bedrock:Retrieve" in json.dumps(r)
    ]  # fmt: skip
    assert holder["Roles"] == [{"Ref": function["Role"]["Fn::GetAtt"][0]}]
    for component in ("data", "training", "monitoring"):
        assert _statements(_templates(app, component), "bedrock:Retrieve") == [], component


def test_front_door_environment_names_the_knowledge_base_and_the_request_defaults(app: SynthResult) -> None:
    kb = app.pipeline.data.knowledge_base
    assert kb is not None
    env = _front_door_env(_templates(app, "serving"))
    assert _output_value(app.templates, env[FrontDoorEnv.KNOWLEDGE_BASE_ID]) == {
        "Fn::GetAtt": [_logical_id(kb.knowledge_base), "KnowledgeBaseId"]
    }
    assert env[FrontDoorEnv.RAG_DEFAULT_ON] == "false"  # rag.default_on: opt-in per request in deployed apps
    assert env[FrontDoorEnv.RAG_TOP_K] == "4"
    assert FrontDoorEnv.RAG_LOCAL_INDEX not in env


@pytest.mark.parametrize(
    ("environ", "enabled", "top_k"),
    [
        ({}, False, 4),
        ({"RAG_DEFAULT_ON": "true", "RAG_TOP_K": "8"}, True, 8),
        ({"RAG_DEFAULT_ON": "TRUE", "RAG_TOP_K": "20"}, True, 20),
        ({"RAG_DEFAULT_ON": "false", "RAG_TOP_K": "0"}, False, 4),
        ({"RAG_DEFAULT_ON": "no", "RAG_TOP_K": "lots"}, False, 4),
        ({"RAG_TOP_K": "21"}, False, 4),
    ],
)
def test_defaults_from_env_reads_what_the_stack_sets(environ: dict[str, str], enabled: bool, top_k: int) -> None:
    from retrieval import RetrievalRequest, defaults_from_env

    defaults = defaults_from_env(environ)
    assert (defaults.enabled, defaults.top_k) == (enabled, top_k)
    request = RetrievalRequest.from_body(None, default_enabled=defaults.enabled, default_top_k=defaults.top_k)
    assert (request.enabled, request.top_k) == (enabled, top_k)


# --------------------------------------------------------------------------- variants (no compliance packs)


def _quick(**overrides: Any) -> tuple[Pipeline, dict[str, dict[str, Any]]]:
    raw: dict[str, Any] = json.loads(json.dumps(cdk_json_context()["llm-pipeline:environments"]["dev"]))
    raw["env_name"] = "dev"
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split("__")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    pipeline = build_pipeline(app, validate_config(raw), compliance_checks=False)
    assembly = app.synth()
    return pipeline, {s.stack_name: s.template for s in assembly.stacks}


def test_rag_disabled_deploys_no_knowledge_base_and_no_retrieval() -> None:
    pipeline, templates = _quick(rag__enabled=False)
    assert pipeline.data.knowledge_base is None
    everything = json.dumps(templates)
    for type_ in ("AWS::Bedrock::KnowledgeBase", "AWS::Bedrock::DataSource", "AWS::S3Vectors::VectorBucket"):
        assert type_ not in everything
    assert "bedrock:Retrieve" not in everything and "--knowledge_raw_path" not in everything
    assert "KnowledgeIngestion" not in everything
    env = _front_door_env(templates[pipeline.config.stack_name("serving")])
    assert not {FrontDoorEnv.KNOWLEDGE_BASE_ID, FrontDoorEnv.RAG_DEFAULT_ON, FrontDoorEnv.RAG_TOP_K} & set(env)


def test_kendra_retriever_has_no_ingestion_alarms_but_the_front_door_may_retrieve() -> None:
    pipeline, templates = _quick(rag__vector_store="kendra", rag__kendra_index_arn=KENDRA_INDEX)
    data = templates[pipeline.config.stack_name("data")]
    _, kb = _only(data, "AWS::Bedrock::KnowledgeBase")
    assert kb["KnowledgeBaseConfiguration"]["KendraKnowledgeBaseConfiguration"] == {"KendraIndexArn": KENDRA_INDEX}
    assert not _resources(data, "AWS::Bedrock::DataSource")
    assert "KnowledgeIngestion" not in json.dumps(templates[pipeline.config.stack_name("monitoring")])
    serving = templates[pipeline.config.stack_name("serving")]
    assert len(_statements(serving, "bedrock:Retrieve")) == 1
    assert FrontDoorEnv.KNOWLEDGE_BASE_ID in _front_door_env(serving)


def test_request_defaults_and_store_settings_reach_the_templates() -> None:
    pipeline, templates = _quick(
        rag__default_on=True,
        rag__top_k=8,
        rag__knowledge_prefix="docs/",
        rag__embedding_model="cohere.embed-multilingual-v3",
        rag__chunking__strategy="SEMANTIC",
        rag__chunking__max_tokens=500,
        rag__batch_window_minutes=0,
    )
    env = _front_door_env(templates[pipeline.config.stack_name("serving")])
    assert (env[FrontDoorEnv.RAG_DEFAULT_ON], env[FrontDoorEnv.RAG_TOP_K]) == ("true", "8")
    data = templates[pipeline.config.stack_name("data")]
    _, source = _only(data, "AWS::Bedrock::DataSource")
    assert source["DataSourceConfiguration"]["S3Configuration"]["InclusionPrefixes"] == ["docs/"]
    chunking = source["VectorIngestionConfiguration"]["ChunkingConfiguration"]
    assert chunking["ChunkingStrategy"] == "SEMANTIC"
    assert chunking["SemanticChunkingConfiguration"]["MaxTokens"] == 500
    _, kb = _only(data, "AWS::Bedrock::KnowledgeBase")
    assert "cohere.embed-multilingual-v3" in json.dumps(kb)
    _, job = _only(data, "AWS::Glue::Job")
    assert json.dumps(job["DefaultArguments"]["--knowledge_raw_path"]).endswith('/docs/"]]}')
    kb_machine = pipeline.data.knowledge_base.state_machine  # type: ignore[union-attr]
    assert "SettleBurst" not in json.dumps(data["Resources"][_logical_id(kb_machine)])  # window 0: start at once


# --------------------------------------------------------------------------- the Lambda bundle


def test_front_door_bundle_ships_the_bedrock_retriever_without_the_local_one(tmp_path: Path) -> None:
    copies = [Copy("lambda_src/front_door", "."), *FRONT_DOOR_RUNTIME_COPIES]
    assert LocalPythonBundling(copies).try_bundle(str(tmp_path), image=cdk.DockerImage.from_registry("unused"))
    assert sorted(p.name for p in (tmp_path / "retrieval").iterdir()) == ["__init__.py", "bedrock.py"]
    probe = (
        "import retrieval; from retrieval.bedrock import BedrockKbRetriever; "
        f"assert retrieval.__file__.startswith({str(tmp_path)!r}); "
        "r = retrieval.retriever_from_env({'KNOWLEDGE_BASE_ID': 'KB12345678'}); "
        "assert isinstance(r, BedrockKbRetriever) and r.knowledge_base_id == 'KB12345678'; "
        "d = retrieval.defaults_from_env({'RAG_DEFAULT_ON': 'true', 'RAG_TOP_K': '6'}); "
        "assert (d.enabled, d.top_k) == (True, 6)"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = [{str(tmp_path)!r}]; {probe}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"knowledge_prefix": "incoming/"}, "knowledge_prefix='incoming/' overlaps raw_prefix='incoming/'"),
        ({"knowledge_prefix": "docs/", "raw_prefix": ""}, "knowledge_prefix='docs/' overlaps raw_prefix=''"),
        ({"knowledge_prefix": "records/k/"}, "overlaps sanitized_prefix='records/'"),
        ({"knowledge_prefix": "_state/"}, "overlaps state_prefix='_state/'"),
        ({"knowledge_prefix": "train/", "extra_output_prefixes": ("train/x/",)}, r"extra_output_prefixes\[0\]"),
    ],
)
def test_the_document_pass_prefix_is_its_own_in_every_bucket(kwargs: dict[str, Any], message: str) -> None:
    from pipeline_stacks.constructs import PiiSanitizationProps

    with pytest.raises(ValueError, match=message):
        PiiSanitizationProps(**kwargs)
    PiiSanitizationProps(knowledge_prefix="knowledge/")  # the default layout is fine
