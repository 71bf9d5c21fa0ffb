"""The deployed shape of the chat API: API Gateway (STREAM) -> Lambda (Web Adapter layer) + DynamoDB conversations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from pipeline_stacks import compliance
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.constructs.front_door import WEB_ADAPTER_ACCOUNT, FrontDoor, FrontDoorProps
from tests.cdk.support import cdk_json_context, cfn_lint_errors, nag_findings
from tests.cdk.test_front_door import FakeBackend


class Synth:
    def __init__(self, outdir: Path) -> None:
        ctx = {**cdk_json_context(), "aws:cdk:bundling-stacks": [], "@aws-cdk/core:failSynthOnValidationErrors": False}
        app = cdk.App(outdir=str(outdir), context=ctx)
        self.lake = DataLake(cdk.Stack(app, "Lake"), "Lake")
        stack = cdk.Stack(app, "Chat")
        self.door = FrontDoor(
            stack,
            "FrontDoor",
            backend=FakeBackend(stack),
            data_lake=self.lake,
            props=FrontDoorProps(
                code=lambda_.Code.from_inline("x"),
                lambda_timeout=cdk.Duration.seconds(120),
                model_read_timeout_seconds=60,
                cors_allowed_origins=("https://app.example.com",),
                conversation_ttl_days=30,
            ),
        )
        compliance.add_compliance_checks(app)
        assembly = app.synth()
        self.template_json = assembly.get_stack_by_name("Chat").template
        self.template = Template.from_json(self.template_json)
        self.outdir = outdir

    def findings(self) -> list[str]:
        return nag_findings(self.outdir)


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return Synth(tmp_path_factory.mktemp("chat"))


def _resources(t: Template, type_: str) -> dict[str, Any]:
    return t.find_resources(type_)


def test_every_route_streams_from_the_function(synth: Synth) -> None:
    methods = [
        m["Properties"]
        for m in _resources(synth.template, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] != "OPTIONS"
    ]
    assert sorted(m["OperationName"] for m in methods) == sorted(
        [
            "CreateChatCompletion",
            "ListModels",
            "CreateFeedback",
            "ListConversations",
            "GetConversation",
            "UpdateConversation",
            "DeleteConversation",
            "Generate",
        ]
    )
    fn_id = next(iter(_resources(synth.template, "AWS::Lambda::Function")))
    for m in methods:
        integration = m["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["ResponseTransferMode"] == "STREAM"
        uri = json.dumps(integration["Uri"])
        assert "response-streaming-invocations" in uri and fn_id in uri
        assert m["AuthorizationType"] == "COGNITO_USER_POOLS" and m["ApiKeyRequired"] is True


def test_function_runs_the_asgi_app_under_the_web_adapter(synth: Synth) -> None:
    (fn,) = _resources(synth.template, "AWS::Lambda::Function").values()
    props = fn["Properties"]
    assert props["Handler"] == "run.sh" and props["Runtime"] == "python3.12" and props["Timeout"] == 120
    env = props["Environment"]["Variables"]
    assert env["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
    assert env["IDENTITY_MODE"] == "apigateway" and env["STORAGE"] == "s3"
    assert env["CONVERSATIONS_STORE"] == "dynamodb" and env["CONVERSATION_TTL_DAYS"] == "30"
    layer = json.dumps(props["Layers"])
    assert f":{WEB_ADAPTER_ACCOUNT}:layer:LambdaAdapterLayerX86:" in layer and "AWS::Region" in layer
    # every variable the construct sets is read by the app's settings (or by the adapter)
    settings_src = (Path(__file__).resolve().parents[2] / "lambda_src/front_door/chat_api/settings.py").read_text()
    for name in env:
        if not name.startswith(("AWS_LWA_", "AWS_LAMBDA_", "POWERTOOLS_")) and name != "PORT":
            assert f'"{name}"' in settings_src or f"FrontDoorEnv.{name}" in settings_src, name


def test_conversations_table_is_encrypted_recoverable_and_expiring(synth: Synth) -> None:
    (table,) = _resources(synth.template, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["SSESpecification"]["SSEEnabled"] is True and props["SSESpecification"]["SSEType"] == "KMS"
    assert "LakeKey" in json.dumps(props["SSESpecification"]["KMSMasterKeyId"])
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == {"owner": "HASH", "sk": "RANGE"}
    assert table["DeletionPolicy"] == "Retain"


def test_function_role_gets_exactly_the_item_calls(synth: Synth) -> None:
    statements = [
        s
        for p in _resources(synth.template, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    dynamo = [s for s in statements if any(str(a).startswith("dynamodb:") for a in _list(s["Action"]))]
    actions = {a for s in dynamo for a in _list(s["Action"])}
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
    }
    kms = [
        s
        for s in statements
        if "dynamodb." in json.dumps(s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService"))
    ]
    assert kms and set(_list(kms[0]["Action"])) == {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}


def test_cors_allows_the_chat_methods(synth: Synth) -> None:
    options = [
        m["Properties"]
        for m in _resources(synth.template, "AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    allowed = json.dumps(options[0]["Integration"]["IntegrationResponses"])
    assert "PATCH" in allowed and "DELETE" in allowed and "X-Conversation-Id" in allowed


def test_gateway_errors_use_the_openai_shape(synth: Synth) -> None:
    responses = _resources(synth.template, "AWS::ApiGateway::GatewayResponse").values()
    throttled = next(r for r in responses if r["Properties"]["ResponseType"] == "THROTTLED")
    template = throttled["Properties"]["ResponseTemplates"]["application/json"]
    assert '"type":"rate_limit_error"' in template and '"param":null' in template and '"code":"throttled"' in template


def test_no_unsuppressed_findings_and_cfn_lint_clean(synth: Synth, tmp_path: Path) -> None:
    assert synth.findings() == []
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(synth.template_json))
    assert cfn_lint_errors([path]) == []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
