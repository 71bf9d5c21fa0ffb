"""FrontDoor: API Gateway + Lambda + WAF + auth + usage plan, in the pipeline apps and standalone variants."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from pipeline_stacks import compliance
from pipeline_stacks.config import ConfigError, validate_config
from pipeline_stacks.constructs.backend import InferenceBackend
from pipeline_stacks.constructs.data_lake import DataLake
from pipeline_stacks.constructs.front_door import (
    SCHEMA_DIR,
    FrontDoor,
    FrontDoorProps,
    FrontDoorVpc,
    load_request_schema,
    to_api_gateway_schema,
)
from tests.cdk.support import REPO_ROOT, SynthResult, cdk_json_context, nag_findings

HANDLER_DIR = REPO_ROOT / "lambda_src" / "front_door"
FAKE_ENDPOINT = "fake-endpoint"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
EXISTING_POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"


class FakeBackend:
    """A minimal InferenceBackend: one SageMaker endpoint ARN."""

    def __init__(self, stack: cdk.Stack) -> None:
        self.arn = stack.format_arn(service="sagemaker", resource="endpoint", resource_name=FAKE_ENDPOINT)

    @property
    def backend_name(self) -> str:
        return "sagemaker"

    @property
    def environment(self) -> Mapping[str, str]:
        return {"BACKEND": "sagemaker", "ENDPOINT_NAME": FAKE_ENDPOINT}

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:InvokeEndpoint"],
            resource_arns=[self.arn],
        )

    def alarm_metrics(self) -> Mapping[str, cloudwatch.IMetric]:
        return {}


class Standalone:
    """One app with a lake stack and three FrontDoor variants in their own stacks, synthesized once."""

    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        # IAM auth, two CORS origins, VPC, unreserved concurrency, custom limits
        "Iam": {
            "auth": "iam",
            "cors_allowed_origins": (
                "https://app.example.com",
                "https://admin.example.com",
            ),
            "vpc": FrontDoorVpc(
                vpc_id="vpc-0123456789abcdef0",
                subnet_ids=("subnet-01234567", "subnet-89abcdef"),
                security_group_ids=("sg-01234567",),
            ),
            "reserved_concurrency": None,
            "max_prompt_chars": 1234,
            "throttle_rate": 7,
            "throttle_burst": 9,
            "quota_per_day": 321,
            "waf_rate_limit": 150,
            "waf_rate_window_seconds": 60,
            "manage_account_logging_role": False,
        },
        # Cognito with a new pool, MFA optional, one CORS origin
        "Pool": {
            "mfa": cognito.Mfa.OPTIONAL,
            "cors_allowed_origins": ("https://app.example.com",),
        },
        # Cognito with an existing pool, custom domain
        "Existing": {"user_pool_arn": EXISTING_POOL, "domain_name": "api.example.com", "certificate_arn": CERT},
    }

    def __init__(self, outdir: Path) -> None:
        context = {
            **cdk_json_context(),
            "aws:cdk:bundling-stacks": [],
            "@aws-cdk/core:failSynthOnValidationErrors": False,
        }
        self.outdir = outdir
        app = cdk.App(outdir=str(outdir), context=context)
        lake = DataLake(cdk.Stack(app, "Lake"), "Lake")
        self.doors: dict[str, FrontDoor] = {}
        self.backends: dict[str, FakeBackend] = {}
        for name, kwargs in self.VARIANTS.items():
            stack = cdk.Stack(app, name)
            self.backends[name] = FakeBackend(stack)
            self.doors[name] = FrontDoor(
                stack,
                "FrontDoor",
                backend=self.backends[name],
                data_lake=lake,
                props=FrontDoorProps(code=lambda_.Code.from_inline("x"), **kwargs),
            )
        compliance.add_compliance_checks(app)
        assembly = app.synth()
        self.templates = {name: Template.from_json(assembly.get_stack_by_name(name).template) for name in self.VARIANTS}

    def findings(self) -> list[str]:
        return nag_findings(self.outdir)


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Standalone:
    return Standalone(tmp_path_factory.mktemp("front-door"))


@pytest.fixture(scope="module")
def serving(dev_without_web: SynthResult) -> Template:
    """dev's serving stack without the chat UI (its wiring: test_web_wiring.py): the front door alone."""
    return dev_without_web.template("serving")


def _one(template: Template, type_: str, props: Mapping[str, Any] | None = None) -> dict[str, Any]:
    found = template.find_resources(type_, {"Properties": props} if props else None)
    assert len(found) == 1, (type_, list(found))
    return next(iter(found.values()))


def _policy_statements(template: Template, role_prefix: str = "FrontDoorFunctionRolePolicy") -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(role_prefix)]
    return policy["Properties"]["PolicyDocument"]["Statement"]


# --------------------------------------------------------------------------- schema conversion


def test_draft07_exclusive_bounds_become_draft04() -> None:
    s = to_api_gateway_schema({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1})
    assert (s.minimum, s.exclusive_minimum, s.maximum, s.exclusive_maximum) == (
        0,
        True,
        1,
        True,
    )


def test_draft04_exclusive_booleans_pass_through() -> None:
    s = to_api_gateway_schema({"type": "integer", "minimum": 1, "exclusiveMinimum": True})
    assert (s.minimum, s.exclusive_minimum) == (1, True)


def test_stricter_bound_wins_when_both_forms_are_present() -> None:
    s = to_api_gateway_schema({"minimum": 5, "exclusiveMinimum": 3})
    assert (s.minimum, s.exclusive_minimum) == (5, True)


def test_const_defs_refs_and_annotations_are_translated() -> None:
    s = to_api_gateway_schema(
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": "https://example.com/x.json",
            "examples": [{"a": "b"}],
            "type": ["object", "null"],
            "properties": {"kind": {"const": "x"}, "child": {"$ref": "#/$defs/child"}},
            "$defs": {"child": {"type": "string", "maxLength": 3}},
            "additionalProperties": False,
        }
    )
    assert s.schema == cdk.aws_apigateway.JsonSchemaVersion.DRAFT4
    assert s.id is None
    assert [t.name for t in s.type] == ["OBJECT", "NULL"]
    assert s.properties["kind"].enum == ["x"]
    assert s.properties["child"].ref == "#/definitions/child"
    assert s.definitions["child"].max_length == 3
    assert s.additional_properties is False


def test_nested_items_and_one_of_are_converted() -> None:
    s = to_api_gateway_schema(
        {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "integer", "exclusiveMinimum": 0},
                ]
            },
        }
    )
    alternatives = s.items.one_of
    assert alternatives[0].type.name == "STRING"
    assert (alternatives[1].minimum, alternatives[1].exclusive_minimum) == (0, True)


@pytest.mark.parametrize("keyword", ["if", "contains", "propertyNames", "dependentRequired"])
def test_keywords_without_draft04_equivalent_fail_at_synth(keyword: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"#/properties/a/{keyword}")):
        to_api_gateway_schema({"properties": {"a": {keyword: {}}}})


def test_unknown_keyword_and_type_fail() -> None:
    with pytest.raises(ValueError, match="unknown JSON Schema keyword 'maxlength'"):
        to_api_gateway_schema({"maxlength": 3})
    with pytest.raises(ValueError, match="unknown JSON Schema type 'str'"):
        to_api_gateway_schema({"type": "str"})


@pytest.mark.parametrize("name", ["generate_request", "chat_feedback_request", "chat_completion_request"])
def test_handler_request_schemas_convert(name: str) -> None:
    raw = load_request_schema(name)
    converted = to_api_gateway_schema(raw)
    assert sorted(converted.properties) == sorted(raw["properties"])
    assert converted.required == raw["required"]


def test_prompt_max_chars_override_applies_to_a_copy_only() -> None:
    assert load_request_schema("generate_request", prompt_max_chars=99)["properties"]["prompt"]["maxLength"] == 99
    on_disk = json.loads((SCHEMA_DIR / "generate_request.json").read_text())
    assert on_disk["properties"]["prompt"]["maxLength"] == 8000


# --------------------------------------------------------------------------- API in the pipeline (dev)


def test_chat_methods_with_authorizer_api_key_validation_and_streaming(
    serving: Template,
) -> None:
    methods = serving.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == 8  # the chat API's routes; no CORS configured in dev: no OPTIONS
    validator = _one(serving, "AWS::ApiGateway::RequestValidator")["Properties"]
    assert (
        validator["ValidateRequestBody"],
        validator["ValidateRequestParameters"],
    ) == (True, True)
    for method in methods.values():
        p = method["Properties"]
        assert p["HttpMethod"] in ("GET", "POST", "PATCH", "DELETE")
        assert p["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert "Ref" in p["AuthorizerId"]
        assert p["ApiKeyRequired"] is True
        assert "Ref" in p["RequestValidatorId"]
        if p["HttpMethod"] == "POST":  # every POST body has a gateway model
            assert "Ref" in p["RequestModels"]["application/json"]
            assert p["RequestParameters"] == {"method.request.header.Content-Type": True}
        assert p["Integration"]["Type"] == "AWS_PROXY"
        assert p["Integration"]["ResponseTransferMode"] == "STREAM"
        # = serving.lambda_timeout_seconds (120 s): STREAM integrations may run up to 15 min, not 29 s
        assert p["Integration"]["TimeoutInMillis"] == 120_000


def test_request_models_come_from_the_schema_files(serving: Template) -> None:
    models = {
        m["Properties"]["Name"]: m["Properties"] for m in serving.find_resources("AWS::ApiGateway::Model").values()
    }
    assert set(models) == {"GenerateRequest", "ChatFeedbackRequest", "ChatCompletionRequest"}
    chat = models["ChatCompletionRequest"]["Schema"]
    assert chat["required"] == ["messages"] and chat["properties"]["messages"]["minItems"] == 1
    for name, file in (
        ("GenerateRequest", "generate_request"),
        ("ChatFeedbackRequest", "chat_feedback_request"),
    ):
        schema = models[name]["Schema"]
        raw = json.loads((SCHEMA_DIR / f"{file}.json").read_text())
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
        assert schema["required"] == raw["required"]
        assert schema["additionalProperties"] is False
        assert sorted(schema["properties"]) == sorted(raw["properties"])
    generate = models["GenerateRequest"]["Schema"]["properties"]
    assert generate["prompt"] == {"type": "string", "minLength": 1, "maxLength": 8000}
    assert generate["parameters"]["properties"]["stop"]["maxItems"] == 4
    rating = models["ChatFeedbackRequest"]["Schema"]["properties"]["rating"]
    assert rating["oneOf"][1] == {"type": "integer", "minimum": -1, "maximum": 1}


_SAMPLES = {
    "GenerateRequest": (
        "generate_request",
        [
            {"prompt": "hi"},
            {"prompt": ""},
            {"prompt": "x" * 8000},
            {"prompt": "x" * 8001},
            {"prompt": "x", "parameters": {"temperature": 3}},
            {"prompt": "x", "parameters": {"max_tokens": 0}},
            {"prompt": "x", "parameters": {"stop": ["a"] * 5}},
            {"prompt": "x", "parameters": {"unknown": 1}},
            {"prompt": "x", "extra": 1},
            {"prompt": "x", "session_id": "bad id!"},
            {"prompt": "x", "session_id": "s-1:2.3_4"},
            {"parameters": {}},
            ["prompt"],
        ],
    ),
    "ChatFeedbackRequest": (
        "chat_feedback_request",
        [
            {"completion_id": "chatcmpl-" + "a" * 32, "rating": "up"},
            {"completion_id": "chatcmpl-" + "a" * 32, "rating": -1, "comment": "ok"},
            {"completion_id": "chatcmpl-" + "a" * 32, "rating": 2},
            {"completion_id": "chatcmpl-" + "a" * 32, "rating": "meh"},
            {"completion_id": "abcdefgh-1234", "rating": 1},
            {"completion_id": "chatcmpl-" + "a" * 32, "rating": 1, "comment": "x" * 4001},
            {"completion_id": "chatcmpl-" + "a" * 32},
        ],
    ),
}


@pytest.mark.parametrize("model_name", sorted(_SAMPLES))
def test_gateway_model_accepts_exactly_what_the_handler_schema_accepts(serving: Template, model_name: str) -> None:
    """The rendered draft-04 model and the handler's schema file agree on valid and invalid bodies."""
    fastjsonschema = pytest.importorskip("fastjsonschema")
    model = _one(serving, "AWS::ApiGateway::Model", {"Name": model_name})["Properties"]["Schema"]
    file_name, samples = _SAMPLES[model_name]
    handler = fastjsonschema.compile(json.loads((SCHEMA_DIR / f"{file_name}.json").read_text()))
    gateway = fastjsonschema.compile(model)

    def verdict(validate: Any, body: Any) -> bool:
        try:
            validate(body)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    verdicts = [(verdict(handler, b), verdict(gateway, b)) for b in samples]
    assert all(h == g for h, g in verdicts), verdicts
    assert {h for h, _ in verdicts} == {True, False}


def test_prompt_limit_is_the_same_for_model_and_handler(standalone: Standalone) -> None:
    t = standalone.templates["Iam"]
    model = _one(t, "AWS::ApiGateway::Model", {"Name": "GenerateRequest"})
    assert model["Properties"]["Schema"]["properties"]["prompt"]["maxLength"] == 1234
    env = _one(t, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert env["PROMPT_MAX_CHARS"] == "1234"


def test_usage_plan_throttle_quota_and_key(serving: Template, standalone: Standalone) -> None:
    plan = _one(serving, "AWS::ApiGateway::UsagePlan")["Properties"]
    assert plan["Throttle"] == {"RateLimit": 50, "BurstLimit": 100}
    assert plan["Quota"] == {"Limit": 10000, "Period": "DAY"}
    assert len(plan["ApiStages"]) == 1
    _one(serving, "AWS::ApiGateway::ApiKey")
    _one(serving, "AWS::ApiGateway::UsagePlanKey")
    custom = _one(standalone.templates["Iam"], "AWS::ApiGateway::UsagePlan")["Properties"]
    assert custom["Throttle"] == {"RateLimit": 7, "BurstLimit": 9}
    assert custom["Quota"]["Limit"] == 321


def test_stage_tracing_logging_throttling_and_no_data_trace(serving: Template) -> None:
    stage = _one(serving, "AWS::ApiGateway::Stage")["Properties"]
    assert stage["TracingEnabled"] is True
    (settings,) = stage["MethodSettings"]
    assert settings == {
        "DataTraceEnabled": False,
        "HttpMethod": "*",
        "LoggingLevel": "INFO",
        "MetricsEnabled": True,
        "ResourcePath": "/*",
        "ThrottlingBurstLimit": 100,
        "ThrottlingRateLimit": 50,
    }
    access = stage["AccessLogSetting"]
    fields = json.loads(access["Format"])
    for key in (
        "requestId",
        "ip",
        "caller",
        "status",
        "responseLatency",
        "integrationLatency",
        "apiKeyId",
        "sub",
    ):
        assert key in fields
    assert not any("body" in v.lower() or "header" in v.lower() for v in fields.values())
    (destination_log_group,) = set(
        re.findall(r'"(FrontDoorAccessLogs[0-9A-F]+)"', json.dumps(access["DestinationArn"]))
    )
    log_group = serving.to_json()["Resources"][destination_log_group]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert "KmsKeyId" in log_group["Properties"]
    assert log_group["Properties"]["RetentionInDays"] == 365


def test_api_is_regional_compressed_and_account_logging_role_is_scoped(
    serving: Template,
) -> None:
    api = _one(serving, "AWS::ApiGateway::RestApi")["Properties"]
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert api["MinimumCompressionSize"] == 1024
    assert api["ApiKeySourceType"] == "HEADER"
    _one(serving, "AWS::ApiGateway::Account")
    statements = _policy_statements(serving, "FrontDoorApiGatewayLogsRolePolicy")
    resources = json.dumps([s["Resource"] for s in statements])
    assert "API-Gateway-Execution-Logs_*" in resources
    assert '"*"' not in resources
    execution = serving.find_resources(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": {
                    "Fn::Join": [
                        "",
                        ["API-Gateway-Execution-Logs_", Match.any_value(), "/live"],
                    ]
                }
            }
        },
    )
    assert len(execution) == 1
    assert "KmsKeyId" in next(iter(execution.values()))["Properties"]


def test_gateway_responses_are_json_errors(serving: Template, standalone: Standalone) -> None:
    responses = serving.find_resources("AWS::ApiGateway::GatewayResponse")
    types = {r["Properties"]["ResponseType"] for r in responses.values()}
    assert {
        "DEFAULT_4XX",
        "DEFAULT_5XX",
        "BAD_REQUEST_BODY",
        "THROTTLED",
        "WAF_FILTERED",
        "UNAUTHORIZED",
    } <= types
    for r in responses.values():
        template = r["Properties"]["ResponseTemplates"]["application/json"]
        assert template.startswith('{"error":{"message":')
        assert "$context.requestId" in template
        rendered = template.replace("$context.error.messageString", '"Forbidden"').replace("$context.requestId", "r-1")
        assert set(json.loads(rendered)["error"]) == {"message", "type", "param", "code", "request_id"}
        assert "Access-Control-Allow-Origin" not in json.dumps(r["Properties"].get("ResponseParameters", {}))
    single = standalone.templates["Pool"].find_resources("AWS::ApiGateway::GatewayResponse")
    for r in single.values():
        params = r["Properties"]["ResponseParameters"]
        assert params["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"
        assert params["gatewayresponse.header.Vary"] == "'Origin'"


def test_cors_preflight_without_auth_only_when_configured(
    standalone: Standalone,
) -> None:
    t = standalone.templates["Iam"]
    methods = [m["Properties"] for m in t.find_resources("AWS::ApiGateway::Method").values()]
    # one preflight per resource (v1, chat, completions, models, feedback, conversations, {id}, generate)
    counts = {name: sum(m["HttpMethod"] == name for m in methods) for name in ("OPTIONS", "GET", "POST")}
    assert counts == {"OPTIONS": 8, "GET": 3, "POST": 3}
    for m in methods:
        if m["HttpMethod"] == "OPTIONS":
            assert m["AuthorizationType"] == "NONE"
            assert m["Integration"]["Type"] == "MOCK"
            assert "*" not in json.dumps(m["Integration"]["IntegrationResponses"])
        else:
            assert m["AuthorizationType"] == "AWS_IAM"
            assert m["ApiKeyRequired"] is True
    env = _one(t, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert env["CORS_ALLOWED_ORIGINS"] == "https://app.example.com,https://admin.example.com"
    t.resource_count_is("AWS::Cognito::UserPool", 0)
    t.resource_count_is("AWS::ApiGateway::Authorizer", 0)
    t.resource_count_is("AWS::ApiGateway::Account", 0)  # manage_account_logging_role=False


def test_custom_domain_disables_execute_api(standalone: Standalone, serving: Template) -> None:
    t = standalone.templates["Existing"]
    domain = _one(t, "AWS::ApiGateway::DomainName")["Properties"]
    assert domain["DomainName"] == "api.example.com"
    assert domain["RegionalCertificateArn"] == CERT
    assert domain["SecurityPolicy"] == "TLS_1_2"
    assert domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    _one(t, "AWS::ApiGateway::BasePathMapping")
    assert _one(t, "AWS::ApiGateway::RestApi")["Properties"]["DisableExecuteApiEndpoint"] is True
    assert _one(serving, "AWS::ApiGateway::RestApi")["Properties"].get("DisableExecuteApiEndpoint", False) is False
    serving.resource_count_is("AWS::ApiGateway::DomainName", 0)


# --------------------------------------------------------------------------- WAF


def test_waf_rules_managed_groups_and_rate_limit(serving: Template) -> None:
    acl = _one(serving, "AWS::WAFv2::WebACL")["Properties"]
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    rules = {r["Name"]: r for r in acl["Rules"]}
    assert list(rules) == [
        "AWS-AWSManagedRulesAmazonIpReputationList",
        "AWS-AWSManagedRulesCommonRuleSet",
        "AWS-AWSManagedRulesKnownBadInputsRuleSet",
        "RateLimitPerIp",
    ]
    assert [r["Priority"] for r in acl["Rules"]] == [0, 1, 2, 3]
    for name, rule in rules.items():
        assert rule["VisibilityConfig"] == {
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
            "SampledRequestsEnabled": True,
        }
        if name.startswith("AWS-"):
            group = rule["Statement"]["ManagedRuleGroupStatement"]
            assert (group["VendorName"], group["Name"]) == (
                "AWS",
                name.removeprefix("AWS-"),
            )
            assert rule["OverrideAction"] == {"None": {}}
    overrides = rules["AWS-AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"][
        "RuleActionOverrides"
    ]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    rate = rules["RateLimitPerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": 1000,
        "EvaluationWindowSec": 300,
    }


def test_waf_custom_rate_limit(standalone: Standalone) -> None:
    acl = _one(standalone.templates["Iam"], "AWS::WAFv2::WebACL")["Properties"]
    rate = next(r for r in acl["Rules"] if r["Name"] == "RateLimitPerIp")
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == 150
    assert rate["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] == 60


def test_waf_is_associated_with_the_stage_and_logs_redacted(serving: Template) -> None:
    resources = serving.to_json()["Resources"]
    association = _one(serving, "AWS::WAFv2::WebACLAssociation")["Properties"]
    stage_id = next(k for k, v in resources.items() if v["Type"] == "AWS::ApiGateway::Stage")
    api_id = next(k for k, v in resources.items() if v["Type"] == "AWS::ApiGateway::RestApi")
    arn = json.dumps(association["ResourceArn"])
    assert f'{{"Ref": "{stage_id}"}}' in arn and f'{{"Ref": "{api_id}"}}' in arn and "/restapis/" in arn
    acl_id = next(k for k, v in resources.items() if v["Type"] == "AWS::WAFv2::WebACL")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}

    logging = _one(serving, "AWS::WAFv2::LoggingConfiguration")["Properties"]
    assert logging["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert {"SingleHeader": {"Name": "authorization"}} in logging["RedactedFields"]
    assert {"SingleHeader": {"Name": "x-api-key"}} in logging["RedactedFields"]
    destination = json.dumps(logging["LogDestinationConfigs"])
    assert ":log-group:" in destination and ":*" not in destination
    waf_logs = serving.find_resources(
        "AWS::Logs::LogGroup",
        {"Properties": {"LogGroupName": Match.string_like_regexp("^aws-waf-logs-")}},
    )
    ((group_id, group),) = waf_logs.items()
    assert f'{{"Ref": "{group_id}"}}' in destination
    assert "KmsKeyId" in group["Properties"]


# --------------------------------------------------------------------------- Lambda


def test_lambda_props(serving: Template) -> None:
    fn = _one(serving, "AWS::Lambda::Function")["Properties"]
    assert fn["Runtime"] == "python3.12"
    assert fn["Architectures"] == ["x86_64"]
    assert fn["Handler"] == "run.sh"  # the chat API under the Lambda Web Adapter
    assert fn["Timeout"] == 120  # serving.lambda_timeout_seconds default (streaming: up to 900)
    assert fn["MemorySize"] == 1024
    assert fn["TracingConfig"] == {"Mode": "Active"}
    assert fn["ReservedConcurrentExecutions"] == 20
    assert fn["LoggingConfig"]["LogFormat"] == "JSON"
    assert "Ref" in fn["LoggingConfig"]["LogGroup"]
    env = fn["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "front-door"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "SecureLlmPipeline/FrontDoor"
    assert env["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    assert env["BACKEND"] in ("sagemaker", "bedrock")
    assert "INTERACTIONS_BUCKET" in env and "KMS_KEY_ID" in env
    # worst case fits the API Gateway integration timeout: connect + read (one attempt) + storage < timeout
    budget = (
        float(env["MODEL_CONNECT_TIMEOUT_S"]) + float(env["MODEL_READ_TIMEOUT_S"]) + float(env["STORAGE_TIMEOUT_S"])
    )
    assert env["MODEL_MAX_ATTEMPTS"] == "1" and budget < fn["Timeout"]


def test_handler_reads_the_environment_the_construct_sets(serving: Template) -> None:
    """Every variable the construct sets is a ``pipeline_contract.FrontDoorEnv`` name (or the Lambda Web Adapter's),
    and the chat API's settings take the values the construct wrote (run in a subprocess with exactly that
    environment); the handler script exists."""
    import subprocess
    import sys

    from pipeline_contract import FrontDoorEnv

    assert "chat_api.app:app" in (HANDLER_DIR / "run.sh").read_text()
    (fn,) = serving.find_resources("AWS::Lambda::Function").values()
    env = fn["Properties"]["Environment"]["Variables"]
    names = {v for k, v in vars(FrontDoorEnv).items() if not k.startswith("_")}
    adapter = {k for k in env if k.startswith(("AWS_LWA_", "AWS_LAMBDA_")) or k == "PORT"}
    assert set(env) - {k for k in env if k.startswith("POWERTOOLS_")} - adapter <= names
    plain = {k: v if isinstance(v, str) else f"resolved-{k.lower()}" for k, v in env.items()}
    probe = (
        "import json, dataclasses; from chat_api.settings import ChatSettings; import chat_api.app; "
        "print(json.dumps(dataclasses.asdict(ChatSettings.from_env())))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=HANDLER_DIR, check=True, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{HANDLER_DIR}:{REPO_ROOT}", "AWS_DEFAULT_REGION": "us-east-1",
             **plain},
    )  # fmt: skip
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["interactions_bucket"] == plain[FrontDoorEnv.INTERACTIONS_BUCKET]
    assert got["interactions_prefix"] == plain[FrontDoorEnv.INTERACTIONS_PREFIX] == "interactions/"
    assert got["feedback_prefix"] == plain[FrontDoorEnv.FEEDBACK_PREFIX] == "feedback/"
    assert got["kms_key_id"] == plain[FrontDoorEnv.KMS_KEY_ID]
    assert got["max_prompt_chars"] == int(plain[FrontDoorEnv.PROMPT_MAX_CHARS])
    assert got["conversations_table"] == plain[FrontDoorEnv.CONVERSATIONS_TABLE]
    assert (got["storage"], got["conversations"], got["identity"]) == ("s3", "dynamodb", "apigateway")
    assert got["model_read_timeout_s"] == float(plain[FrontDoorEnv.MODEL_READ_TIMEOUT_S])
    assert got["model_connect_timeout_s"] == float(plain[FrontDoorEnv.MODEL_CONNECT_TIMEOUT_S])
    assert got["model_max_attempts"] == int(plain[FrontDoorEnv.MODEL_MAX_ATTEMPTS])
    assert got["storage_timeout_s"] == float(plain[FrontDoorEnv.STORAGE_TIMEOUT_S])
    assert got["backend"] == plain[FrontDoorEnv.BACKEND]


def test_lambda_vpc_and_unreserved_variant(standalone: Standalone) -> None:
    fn = _one(standalone.templates["Iam"], "AWS::Lambda::Function")["Properties"]
    assert fn["VpcConfig"] == {
        "SubnetIds": ["subnet-01234567", "subnet-89abcdef"],
        "SecurityGroupIds": ["sg-01234567"],
    }
    assert "ReservedConcurrentExecutions" not in fn


# --------------------------------------------------------------------------- IAM scope


def test_function_role_is_least_privilege(serving: Template) -> None:
    statements = _policy_statements(serving)
    star = [s for s in statements if s["Resource"] == "*"]
    assert star == [
        {
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Effect": "Allow",
            "Resource": "*",
        }
    ]
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
    assert len(s3_statements) == 1
    assert all(a.startswith(("s3:Put", "s3:Abort")) for a in _actions(s3_statements[0]))
    suffixes = sorted(r["Fn::Join"][1][-1] for r in s3_statements[0]["Resource"])
    assert suffixes == ["/feedback/*", "/interactions/*"]
    assert "AWS::IAM::Policy" not in {r["Type"] for r in serving.to_json()["Resources"].values()}
    role = _one(
        serving,
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "lambda.amazonaws.com"}})]}
            )
        },
    )
    assert "ManagedPolicyArns" not in role["Properties"]


def test_backend_invoke_is_exactly_the_backend(standalone: Standalone) -> None:
    statements = _policy_statements(standalone.templates["Pool"])
    invoke = [s for s in statements if any(a.startswith("sagemaker:") for a in _actions(s))]
    assert len(invoke) == 1
    assert invoke[0]["Action"] == "sagemaker:InvokeEndpoint"
    assert json.dumps(invoke[0]["Resource"]).endswith(f':endpoint/{FAKE_ENDPOINT}"]]}}')


def _actions(statement: Mapping[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# --------------------------------------------------------------------------- Cognito


def test_cognito_pool_is_hardened(serving: Template) -> None:
    pool = _one(serving, "AWS::Cognito::UserPool")["Properties"]
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 14,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "RequireUppercase": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["UserPoolTier"] == "PLUS"
    client = _one(serving, "AWS::Cognito::UserPoolClient")["Properties"]
    assert client["GenerateSecret"] is False
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    authorizer = _one(serving, "AWS::ApiGateway::Authorizer")["Properties"]
    assert authorizer["Type"] == "COGNITO_USER_POOLS"


def test_mfa_optional_and_existing_pool(standalone: Standalone) -> None:
    pool = _one(standalone.templates["Pool"], "AWS::Cognito::UserPool")["Properties"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    existing = standalone.templates["Existing"]
    existing.resource_count_is("AWS::Cognito::UserPool", 0)
    authorizer = _one(existing, "AWS::ApiGateway::Authorizer")["Properties"]
    assert authorizer["ProviderARNs"] == [EXISTING_POOL]


# --------------------------------------------------------------------------- metrics


def test_metric_hooks(standalone: Standalone) -> None:
    door = standalone.doors["Pool"]
    failures = door.metric_interaction_log_failures()
    assert (failures.namespace, failures.metric_name) == (
        "SecureLlmPipeline/FrontDoor",
        "InteractionLogFailures",
    )
    assert failures.dimensions == {"service": "front-door"}
    assert failures.statistic == "Sum"
    blocked = door.metric_waf_blocked()
    assert (blocked.namespace, blocked.metric_name) == ("AWS/WAFV2", "BlockedRequests")
    assert blocked.dimensions["Rule"] == "ALL"
    assert blocked.dimensions["WebACL"] == "Pool-front-door"
    assert door.metric_api_5xx().metric_name == "5XXError"
    assert door.metric_api_4xx().metric_name == "4XXError"
    assert set(door.metric_api_latency_p99().dimensions) == {"ApiName", "Stage"}
    assert door.metric_api_latency_p99().statistic == "p99"
    assert door.metric_api_count().metric_name == "Count"
    assert door.metric_lambda_errors().metric_name == "Errors"
    assert door.metric_lambda_throttles().metric_name == "Throttles"
    assert door.metric_lambda_duration_p99().statistic == "p99"
    assert set(door.alarm_metrics()) >= {
        "Api5xx",
        "WafBlocked",
        "InteractionLogFailures",
        "LambdaErrors",
    }
    assert isinstance(standalone.backends["Pool"], InferenceBackend)


# --------------------------------------------------------------------------- compliance and config


def test_standalone_variants_have_no_unsuppressed_findings(
    standalone: Standalone,
) -> None:
    assert standalone.findings() == []


@pytest.mark.parametrize(
    ("overrides", "env", "message"),
    [
        (
            {"lambda_timeout_seconds": 901},
            "dev",
            "serving.lambda_timeout_seconds = 901",
        ),
        (
            {"cors_allowed_origins": ["*"]},
            "prod",
            "contains '*', which is not allowed when env_name='prod'",
        ),
        (
            {"cors_allowed_origins": ["https://app.example.com/"]},
            "dev",
            "is not an origin",
        ),
        (
            {"cors_allowed_origins": ["http://localhost:3000"]},
            "prod",
            "non-TLS origins ['http://localhost:3000']",
        ),
        (
            {"model_read_timeout_seconds": 116},
            "dev",
            "must be at least 5 s below serving.lambda_timeout_seconds=120",
        ),
        (
            {"log_retention_days": 42},
            "dev",
            "serving.log_retention_days = 42: allowed: 1, 3, 5",
        ),
        ({"waf_rate_limit": 5}, "dev", "serving.waf_rate_limit = 5"),
        ({"lambda_memory_mb": 64}, "dev", "serving.lambda_memory_mb = 64"),
        (
            {"auth": "iam", "existing_user_pool_arn": EXISTING_POOL},
            "dev",
            "only used with serving.auth='cognito'",
        ),
        ({"lambda_vpc_id": "vpc-0123456789abcdef0"}, "dev", "must be set together"),
        ({"custom_domain_name": "api.example.com"}, "dev", "must be set together (or both left unset)"),
        ({"custom_domain_name": "Not A Domain", "custom_domain_certificate_arn": CERT}, "dev", "custom_domain_name"),
        ({"auth": "apikey"}, "dev", "serving.auth = 'apikey'"),
    ],
)
def test_config_errors(overrides: dict[str, Any], env: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config({"env_name": env, "serving": overrides})


def test_custom_domain_certificate_must_be_in_the_pinned_region() -> None:
    raw = {
        "env_name": "dev",
        "region": "eu-west-1",
        "serving": {"custom_domain_name": "api.example.com", "custom_domain_certificate_arn": CERT},
    }
    with pytest.raises(ConfigError, match="is in region 'us-east-1'"):
        validate_config(raw)


def test_existing_user_pool_must_be_in_the_pinned_region() -> None:
    raw = {"env_name": "dev", "region": "eu-west-1", "serving": {"existing_user_pool_arn": EXISTING_POOL}}
    with pytest.raises(ConfigError, match="a Cognito authorizer needs a user pool in the pipeline's region"):
        validate_config(raw)


def test_star_cors_is_allowed_outside_prod() -> None:
    assert validate_config(
        {"env_name": "dev", "serving": {"cors_allowed_origins": ["*"]}}
    ).serving.cors_allowed_origins == ["*"]


def test_web_adapter_layer_default_is_the_same_in_config_and_construct() -> None:
    from pipeline_stacks.config._base import WEB_ADAPTER_LAYER_VERSION as CONFIG_DEFAULT
    from pipeline_stacks.constructs.front_door import WEB_ADAPTER_LAYER_VERSION

    assert CONFIG_DEFAULT == WEB_ADAPTER_LAYER_VERSION == FrontDoorProps().web_adapter_layer_version
    assert validate_config({"env_name": "dev"}).serving.web_adapter_layer_version == WEB_ADAPTER_LAYER_VERSION


def test_streaming_timeouts_are_accepted_up_to_15_minutes() -> None:
    s = validate_config(
        {"env_name": "dev", "serving": {"lambda_timeout_seconds": 900, "model_read_timeout_seconds": 895}}
    ).serving
    assert s.lambda_timeout_seconds == 900
    assert FrontDoorProps(lambda_timeout=cdk.Duration.seconds(900), model_read_timeout_seconds=890)


def test_props_validation() -> None:
    with pytest.raises(ValueError, match="exceeds API Gateway's longest streamed response"):
        FrontDoorProps(lambda_timeout=cdk.Duration.seconds(901))
    with pytest.raises(ValueError, match="leaves no time"):
        FrontDoorProps(model_read_timeout_seconds=116)
    with pytest.raises(ValueError, match="only used with auth='cognito'"):
        FrontDoorProps(auth="iam", user_pool_arn=EXISTING_POOL)
