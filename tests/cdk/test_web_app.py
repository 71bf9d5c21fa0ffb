"""WebApp: the chat UI on a private S3 bucket behind CloudFront, in small test apps (no pipeline synth)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from pipeline_stacks import bundling, compliance
from pipeline_stacks.constructs.web_app import WebApp, WebAppProps
from tests.cdk.support import cfn_lint_errors, nag_findings

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
WEB_ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat-ui/abcd1234-ab12-cd34-ef56-abcdef123456"


@dataclass
class WebSynth:
    """One synthesized test app holding a WebApp."""

    stack: cdk.Stack
    web: WebApp
    template: Template
    outdir: Path

    def findings(self) -> list[str]:
        return nag_findings(self.outdir)

    def logical_id(self, construct: Any) -> str:
        return str(self.stack.resolve(self.stack.get_logical_id(construct.node.default_child)))

    def resource(self, construct: Any) -> dict[str, Any]:
        resources: dict[str, Any] = self.template.to_json()["Resources"]
        return resources[self.logical_id(construct)]


def _synth(outdir: Path, *, auth: bool = True, props: WebAppProps | None = None) -> WebSynth:
    app = cdk.App(
        outdir=str(outdir),
        context={
            "aws:cdk:bundling-stacks": [],
            "@aws-cdk/core:failSynthOnValidationErrors": False,
            "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
        },
    )
    compliance.add_compliance_checks(app)
    stack = cdk.Stack(app, "WebTest", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    logs = s3.Bucket(stack, "AccessLogs", enforce_ssl=True)
    # The API URL as a deploy-time token, the way a RestApi's URL arrives.
    api_url = cdk.CfnParameter(stack, "ApiUrl", default=API_URL)
    kwargs: dict[str, Any] = {}
    if auth:
        pool = cognito.UserPool(stack, "Pool")
        kwargs = {
            "user_pool": pool,
            "user_pool_client": pool.add_client("WebClient"),
            "user_pool_domain": pool.add_domain(
                "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix="chat-test")
            ),
        }
    web = WebApp(stack, "Web", access_logs_bucket=logs, api_url=api_url.value_as_string, props=props, **kwargs)
    app.synth()
    return WebSynth(stack=stack, web=web, template=Template.from_stack(stack), outdir=outdir)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> WebSynth:
    """Default props, Cognito sign-in."""
    return _synth(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> WebSynth:
    """Custom domain + certificate, WAF web ACL and a geo allowlist; no sign-in (auth null)."""
    return _synth(
        tmp_path_factory.mktemp("web-custom"),
        auth=False,
        props=WebAppProps(
            domain_names=["chat.example.com"], certificate_arn=CERT, web_acl_arn=WEB_ACL, geo_allowlist=["DE", "FR"]
        ),
    )


def _distribution(result: WebSynth) -> dict[str, Any]:
    return result.resource(result.web.distribution)["Properties"]["DistributionConfig"]


def _headers(result: WebSynth) -> dict[str, Any]:
    return result.resource(result.web.response_headers_policy)["Properties"]["ResponseHeadersPolicyConfig"]


API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1"


def _evaluate(value: Any, refs: dict[str, str]) -> str:
    """Evaluate the intrinsic functions CloudFormation would (Ref, Fn::Join, Fn::Select, Fn::Split)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return refs[value["Ref"]]
    if "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(_evaluate(i, refs) for i in items)
    if "Fn::Select" in value:
        index, items = value["Fn::Select"]
        return _split(items, refs)[int(index)]
    raise AssertionError(f"unexpected intrinsic {value}")


def _split(value: Any, refs: dict[str, str]) -> list[str]:
    delimiter, source = value["Fn::Split"]
    return _evaluate(source, refs).split(delimiter)


def _csp(result: WebSynth) -> str:
    value = _headers(result)["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    domains = result.template.find_resources("AWS::Cognito::UserPoolDomain")
    refs = {"ApiUrl": API_URL, **{logical_id: "chat-test" for logical_id in domains}}
    return _evaluate(value, refs)


# ------------------------------------------------------------------ bucket


def test_site_bucket_is_private_versioned_encrypted_and_logged(site: WebSynth) -> None:
    props = site.resource(site.web.bucket)["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] == "AES256"
    logs_id = site.logical_id(site.stack.node.find_child("AccessLogs"))
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}


def test_site_bucket_policy_denies_plain_http_and_allows_only_this_distribution(site: WebSynth) -> None:
    bucket_id = site.logical_id(site.web.bucket)
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in site.template.find_resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert len(policies) == 1
    statements = policies[0]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    old_tls = {"NumericLessThan": {"s3:TlsVersion": 1.2}}
    assert any(s["Effect"] == "Deny" and s["Condition"] == old_tls for s in statements)
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source_arn = compliance.flatten_reference(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    dist_id = site.logical_id(site.web.distribution)
    assert source_arn.endswith(f":distribution/<{dist_id}>")


# ------------------------------------------------------------------ CloudFront


def test_origin_access_control_not_identity(site: WebSynth) -> None:
    site.template.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": Match.object_like(
                {"OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}
            )
        },
    )
    site.template.resource_count_is("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0)
    (origin,) = _distribution(site)["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_https_only_get_head_and_spa_routing(site: WebSynth) -> None:
    config = _distribution(site)
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert config["DefaultRootObject"] == "index.html"
    fallback = {(r["ErrorCode"], r["ResponseCode"], r["ResponsePagePath"]) for r in config["CustomErrorResponses"]}
    assert fallback == {(403, 200, "/index.html"), (404, 200, "/index.html")}


def test_security_headers(site: WebSynth) -> None:
    security = _headers(site)["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31_536_000 and hsts["IncludeSubdomains"] and hsts["Override"]
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert security["ContentSecurityPolicy"]["Override"] is True


def test_csp_allows_only_self_the_api_and_cognito(site: WebSynth) -> None:
    directives = dict(d.strip().split(" ", 1) for d in _csp(site).split(";") if " " in d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    # The API's origin is cut from its URL at deploy time (scheme + "//" + host); Cognito's is the domain's base URL.
    assert directives["connect-src"] == (
        "'self' https://abc123.execute-api.eu-west-1.amazonaws.com https://chat-test.auth.eu-west-1.amazoncognito.com"
    )
    assert "unsafe" not in _csp(site)


def test_csp_without_auth_allows_only_self_and_the_api(custom: WebSynth) -> None:
    directives = dict(d.strip().split(" ", 1) for d in _csp(custom).split(";") if " " in d.strip())
    assert directives["connect-src"] == "'self' https://abc123.execute-api.eu-west-1.amazonaws.com"


def _plain_csp(**kwargs: Any) -> tuple[WebApp, str]:
    """A WebApp in a bare stack (literal API URL); its rendered Content-Security-Policy."""
    stack = cdk.Stack(cdk.App(context={"aws:cdk:bundling-stacks": []}), "S")
    web = WebApp(stack, "Web", access_logs_bucket=s3.Bucket(stack, "Logs"), **kwargs)
    result = WebSynth(stack=stack, web=web, template=Template.from_stack(stack), outdir=Path())
    return web, str(_headers(result)["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"])


def test_an_explicit_api_origin_replaces_the_one_cut_from_the_url() -> None:
    web, csp = _plain_csp(api_url="https://api.example.com/prod/v1", api_origin="https://api-origin.example.com")
    assert "connect-src 'self' https://api-origin.example.com;" in csp
    assert web.config["apiBaseUrl"] == "https://api.example.com/prod/v1"


def test_same_origin_api_needs_only_self() -> None:
    _, csp = _plain_csp(api_url="/v1")
    assert "connect-src 'self';" in csp


def test_tls_and_custom_domain(site: WebSynth, custom: WebSynth) -> None:
    # Without a custom domain CloudFront's *.cloudfront.net certificate is used (its TLS policy is CloudFront's),
    # and exactly that is acknowledged (CFR4); with one, TLS 1.2 (2021 policy) is the minimum.
    assert "ViewerCertificate" not in _distribution(site)
    metadata = site.resource(site.web.distribution)["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert {r["id"] for r in metadata} == {"AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR4"}
    config = _distribution(custom)
    assert config["Aliases"] == ["chat.example.com"]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERT,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert config["WebACLId"] == WEB_ACL
    assert config["Restrictions"]["GeoRestriction"] == {"Locations": ["DE", "FR"], "RestrictionType": "whitelist"}
    assert custom.web.url == "https://chat.example.com"


def test_access_logging_to_an_acl_enabled_log_bucket(site: WebSynth) -> None:
    logging = _distribution(site)["Logging"]
    log_id = site.logical_id(site.web.log_bucket)
    assert logging["Bucket"] == {"Fn::GetAtt": [log_id, "RegionalDomainName"]}
    assert logging["IncludeCookies"] is False
    log_props = site.resource(site.web.log_bucket)["Properties"]
    # CloudFront standard logs are delivered through ACLs; the bucket itself is private, TLS-only and logged.
    assert log_props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    assert log_props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert "LoggingConfiguration" in log_props
    assert any(r.get("ExpirationInDays") == 365 for r in log_props["LifecycleConfiguration"]["Rules"])


# ------------------------------------------------------------------ deployment + config.json


def _deployments(result: WebSynth) -> list[dict[str, Any]]:
    return [r["Properties"] for r in result.template.find_resources("Custom::CDKBucketDeployment").values()]


def test_config_json_is_generated_at_deploy_time(site: WebSynth) -> None:
    (entry,) = [d for d in _deployments(site) if "DistributionPaths" in d]
    assert entry["DistributionPaths"] == ["/index.html", "/config.json"]
    assert entry["SystemMetadata"] == {"cache-control": "no-cache"}
    markers = entry["SourceMarkers"][1]
    rendered = {compliance.flatten_reference(v) for v in markers.values()}
    pool = site.logical_id(site.stack.node.find_child("Pool"))
    dist = site.logical_id(site.web.distribution)
    assert f'"<{pool}>"' in rendered
    assert f'"https://<{dist}.DomainName>/"' in rendered
    # The document itself: the deploy-time values are markers the deployment replaces.
    config = site.web.config
    assert set(config) == {"apiBaseUrl", "auth"}
    auth: dict[str, Any] = config["auth"]  # type: ignore[assignment]
    assert set(auth) == {
        "region", "userPoolId", "clientId", "domain", "redirectUri", "logoutUri", "scopes",
    }  # fmt: skip
    assert site.stack.resolve(auth["region"]) == "eu-west-1"


def test_no_auth_config_when_sign_in_is_not_configured(custom: WebSynth) -> None:
    assert custom.web.config["auth"] is None


def test_hashed_assets_are_cached_long_and_nothing_is_pruned(site: WebSynth) -> None:
    (assets,) = [d for d in _deployments(site) if "DistributionPaths" not in d]
    assert assets["Include"] == ["assets/*"]
    assert "immutable" in assets["SystemMetadata"]["cache-control"]
    assert all(d["Prune"] is False for d in _deployments(site))


# ------------------------------------------------------------------ compliance


def test_nag_clean(site: WebSynth, custom: WebSynth) -> None:
    for result in (site, custom):
        ours = [f for f in result.findings() if "/Web/" in f or "CDKBucketDeployment" in f]
        assert ours == []


def test_no_geo_waf_or_certificate_acknowledgments_when_configured(custom: WebSynth) -> None:
    metadata = custom.resource(custom.web.distribution).get("Metadata", {})
    acknowledged = {r["id"] for r in metadata.get("cdk_nag", {}).get("rules_to_suppress", [])}
    assert not acknowledged & {"AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR4"}


def test_cfn_lint_has_no_errors(site: WebSynth, custom: WebSynth) -> None:
    templates = [p for r in (site, custom) for p in r.outdir.glob("*.template.json")]
    assert cfn_lint_errors(templates, region="eu-west-1") == []


# ------------------------------------------------------------------ props


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"domain_names": ["chat.example.com"]}, "domain_names and certificate_arn"),
        ({"domain_names": ["x.example.com"], "certificate_arn": CERT.replace("us-east-1", "eu-west-1")}, "us-east-1"),
        ({"web_acl_arn": "arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y"}, "CLOUDFRONT-scope"),
        ({"geo_allowlist": ["de"]}, "ISO 3166"),
        ({"auto_delete_objects": True}, "removal_policy"),
    ],
)
def test_props_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebAppProps(**kwargs)


def test_sign_in_needs_pool_client_and_domain_together() -> None:
    stack = cdk.Stack(cdk.App(context={"aws:cdk:bundling-stacks": []}), "S")
    pool = cognito.UserPool(stack, "Pool")
    with pytest.raises(ValueError, match="go together"):
        WebApp(stack, "Web", access_logs_bucket=s3.Bucket(stack, "Logs"), api_url="/v1", user_pool=pool)


# ------------------------------------------------------------------ local bundling (npm, no Docker)


def _fake_web(root: Path) -> Path:
    web = root / "web"
    (web / "src").mkdir(parents=True)
    (web / "src" / "main.ts").write_text("console.log(1)\n")
    (web / "package-lock.json").write_text("{}\n")
    return web


def test_source_hash_follows_sources_and_lockfile_only(tmp_path: Path) -> None:
    web = _fake_web(tmp_path)
    first = bundling.web_source_hash(web)
    (web / "node_modules").mkdir()
    (web / "node_modules" / "x.js").write_text("ignored")
    (web / "dist").mkdir()
    (web / "dist" / "index.html").write_text("ignored")
    assert bundling.web_source_hash(web) == first
    (web / "src" / "main.ts").write_text("console.log(2)\n")
    second = bundling.web_source_hash(web)
    assert second != first
    (web / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    assert bundling.web_source_hash(web) not in (first, second)


def test_local_build_reuses_a_build_of_the_same_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    web = _fake_web(tmp_path)
    (web / "dist" / "assets").mkdir(parents=True)
    (web / "dist" / "index.html").write_text("<html></html>")
    (web / "dist" / "assets" / "app.js").write_text("x")
    (web / "dist" / ".build-hash").write_text(bundling.web_source_hash(web))
    monkeypatch.setattr(bundling.shutil, "which", lambda _name: None)  # any npm run would fail
    out = tmp_path / "out"
    out.mkdir()
    assert bundling.LocalNpmBuild(web).try_bundle(str(out), image=cdk.DockerImage.from_registry("node:20"))
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == ["assets/app.js", "index.html"]
    # A changed source invalidates the build: now npm is needed (and missing here).
    (web / "src" / "main.ts").write_text("changed\n")
    with pytest.raises(RuntimeError, match="npm"):
        bundling.LocalNpmBuild(web).try_bundle(str(tmp_path / "out2"), image=cdk.DockerImage.from_registry("node:20"))
