"""The chat UI (WebApp) wired into the serving stack: its origin in the API's CORS, the browser's Cognito app client
and sign-in domain, the CSP naming the API and Cognito, API keys optional for the browser, the ``WebUrl`` output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline_stacks.config import ConfigError, load_config
from tests.cdk.support import SynthResult, cdk_json_context

pytestmark = pytest.mark.slow

#: What CloudFormation would substitute, as readable placeholders.
PSEUDO = {"AWS::Region": "eu-west-1", "AWS::URLSuffix": "amazonaws.com", "AWS::AccountId": "123456789012"}


def _evaluate(value: Any) -> str:
    """A CloudFormation string expression with each Ref/GetAtt shown as ``<LogicalId>`` / ``<LogicalId.Attr>``."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return PSEUDO.get(value["Ref"], f"<{value['Ref']}>")
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(_evaluate(i) for i in items)
    raise AssertionError(f"unexpected intrinsic {value}")


def _resources(result: SynthResult, kind: str) -> dict[str, dict[str, Any]]:
    resources = result.templates[result.pipeline.config.stack_name("serving")]["Resources"]
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _one(result: SynthResult, kind: str, prefix: str = "") -> tuple[str, dict[str, Any]]:
    found = [(k, v) for k, v in _resources(result, kind).items() if k.startswith(prefix)]
    assert len(found) == 1, f"{kind} {prefix}: {[k for k, _ in found]}"
    return found[0]


def _site(result: SynthResult) -> str:
    distribution, _ = _one(result, "AWS::CloudFront::Distribution")
    return f"https://<{distribution}.DomainName>"


@pytest.fixture(scope="module")
def no_web(dev_without_web: SynthResult) -> SynthResult:
    return dev_without_web


def test_the_ui_is_served_by_cloudfront_from_a_private_bucket_through_oac(dev: SynthResult) -> None:
    _, distribution = _one(dev, "AWS::CloudFront::Distribution")
    oac, _ = _one(dev, "AWS::CloudFront::OriginAccessControl")
    origins = distribution["Properties"]["DistributionConfig"]["Origins"]
    assert [o["OriginAccessControlId"] for o in origins] == [{"Fn::GetAtt": [oac, "Id"]}]
    assert all(o["S3OriginConfig"] == {"OriginAccessIdentity": ""} for o in origins)
    outputs = dev.templates[dev.pipeline.config.stack_name("serving")]["Outputs"]
    assert _evaluate(outputs["WebUrl"]["Value"]) == _site(dev)


def test_csp_connects_only_to_itself_the_api_and_the_cognito_domain(dev: SynthResult) -> None:
    _, policy = _one(dev, "AWS::CloudFront::ResponseHeadersPolicy")
    csp = _evaluate(
        policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
            "ContentSecurityPolicy"
        ]
    )
    api, _ = _one(dev, "AWS::ApiGateway::RestApi")
    domain, _ = _one(dev, "AWS::Cognito::UserPoolDomain")
    connect = next(d for d in csp.split("; ") if d.startswith("connect-src "))
    assert connect.split()[1:] == [
        "'self'",
        f"https://<{api}>.execute-api.eu-west-1.amazonaws.com",
        f"https://<{domain}>.auth.eu-west-1.amazoncognito.com",
    ]


def test_browser_client_is_public_code_grant_with_the_site_as_callback(dev: SynthResult) -> None:
    _, client = _one(dev, "AWS::Cognito::UserPoolClient", "WebBrowserClient")
    props = client["Properties"]
    assert props["GenerateSecret"] is False
    assert props["AllowedOAuthFlows"] == ["code"] and props["AllowedOAuthFlowsUserPoolClient"] is True
    assert sorted(props["AllowedOAuthScopes"]) == ["email", "openid", "profile"]
    assert [_evaluate(u) for u in props["CallbackURLs"]] == [f"{_site(dev)}/"]
    assert [_evaluate(u) for u in props["LogoutURLs"]] == [f"{_site(dev)}/"]
    assert props["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # managed login only: no password flows
    pool, _ = _one(dev, "AWS::Cognito::UserPool")
    assert props["UserPoolId"] == {"Ref": pool}


def test_config_json_names_the_api_the_pool_the_client_and_the_domain(dev: SynthResult) -> None:
    web = dev.pipeline.serving.web
    assert web is not None
    stack = dev.pipeline.serving
    config = json.loads(json.dumps(stack.resolve(web.config)))
    api, _ = _one(dev, "AWS::ApiGateway::RestApi")
    assert "execute-api" in _evaluate(config["apiBaseUrl"]) and f"<{api}>" in _evaluate(config["apiBaseUrl"])
    assert _evaluate(config["apiBaseUrl"]).endswith("/v1")
    client, _ = _one(dev, "AWS::Cognito::UserPoolClient", "WebBrowserClient")
    assert config["auth"]["clientId"] == {"Ref": client}
    assert _evaluate(config["auth"]["redirectUri"]) == f"{_site(dev)}/"


def test_the_api_allows_exactly_the_site_origin(dev: SynthResult) -> None:
    site = _site(dev)
    preflights = [
        m for m in _resources(dev, "AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    assert preflights
    for method in preflights:
        headers = method["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert _evaluate(headers["method.response.header.Access-Control-Allow-Origin"]) == f"'{site}'"
    functions = [
        f
        for f in _resources(dev, "AWS::Lambda::Function").values()
        if "CORS_ALLOWED_ORIGINS" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert len(functions) == 1
    assert _evaluate(functions[0]["Properties"]["Environment"]["Variables"]["CORS_ALLOWED_ORIGINS"]) == site
    # API Gateway's own errors (401 of the authorizer, 429 of the throttle) carry the origin too: the UI can read them
    for response in _resources(dev, "AWS::ApiGateway::GatewayResponse").values():
        allow = response["Properties"]["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
        assert _evaluate(allow) == f"'{site}'"


def test_with_the_ui_api_keys_are_optional_and_cognito_still_required(dev: SynthResult, no_web: SynthResult) -> None:
    def methods(result: SynthResult) -> list[dict[str, Any]]:
        found = _resources(result, "AWS::ApiGateway::Method").values()
        return [m["Properties"] for m in found if m["Properties"]["HttpMethod"] != "OPTIONS"]

    assert methods(dev) and all(m["AuthorizationType"] == "COGNITO_USER_POOLS" for m in methods(dev))
    assert not any(m.get("ApiKeyRequired") for m in methods(dev))
    assert all(m["ApiKeyRequired"] is True for m in methods(no_web))


def test_web_disabled_leaves_no_site_no_browser_client_and_no_cors(no_web: SynthResult) -> None:
    assert no_web.pipeline.serving.web is None
    assert _resources(no_web, "AWS::CloudFront::Distribution") == {}
    assert _resources(no_web, "AWS::Cognito::UserPoolDomain") == {}
    assert [k for k in _resources(no_web, "AWS::Cognito::UserPoolClient") if k.startswith("WebBrowser")] == []
    outputs = no_web.templates[no_web.pipeline.config.stack_name("serving")].get("Outputs", {})
    assert "WebUrl" not in outputs


def test_prod_has_the_ui_too(prod: SynthResult) -> None:
    assert prod.pipeline.serving.web is not None
    _, domain = _one(prod, "AWS::Cognito::UserPoolDomain")
    assert domain["Properties"]["Domain"] == "llm-pipeline-prod-123456789012"


def _load(**context: Any) -> Any:
    ctx = {**cdk_json_context(), **context}
    return load_config(ctx.get, all_context=ctx)


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"serving.auth": "iam"}, r"web\.enabled=true needs serving\.auth='cognito'"),
        ({"web.domain_names": ["chat.example.com"]}, r"web\.domain_names=.*must be set together"),
        ({"web.auth_domain_prefix": "my-cognito-login"}, r"contains \['cognito'\]"),
        ({"web.geo_allowlist": ["de"]}, r"not ISO 3166-1 alpha-2"),
        ({"web.certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/x"}, r"web\.certificate_arn"),
    ],
)
def test_bad_web_config_is_refused(context: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        _load(**context)


def test_iam_api_without_the_ui_is_valid() -> None:
    config = _load(**{"serving.auth": "iam", "web.enabled": False})
    assert config.web.enabled is False


def test_nothing_of_ours_is_left_unsuppressed(dev: SynthResult, prod: SynthResult) -> None:
    for result in (dev, prod):
        assert [f for f in result.unsuppressed_findings() if "/Web" in f or "BucketDeployment" in f] == []


def test_outdir_has_no_cycle_marker(dev: SynthResult) -> None:
    # The serving stack synthesized with the lazy CORS origin and callback: the site URL resolved to the distribution
    assert "${Token[" not in Path(dev.outdir, f"{dev.pipeline.config.stack_name('serving')}.template.json").read_text()
