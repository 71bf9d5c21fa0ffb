"""WebApp: the chat UI (``web/``) on a private S3 bucket behind CloudFront.

Usage::

    site = WebApp(
        self, "Web",
        access_logs_bucket=lake.access_logs_bucket,
        api_url=front_door.api.url_for_path("/v1"),
        user_pool=front_door.user_pool,
        user_pool_client=web_client,
        user_pool_domain=domain,
    )
    # site.url -> https://dxxxx.cloudfront.net (Cognito callback URL, API CORS origin)

One build serves every environment: the SPA reads ``/config.json``, which this construct writes at deploy
time from the API URL and the Cognito settings (CloudFormation tokens resolved by the deployment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from pipeline_stacks import compliance
from pipeline_stacks.bundling import RUNTIME_ROOT, web_dist_asset_options
from pipeline_stacks.iam import ManagedPolicyRole
from pipeline_stacks.log_groups import LogSettings, encrypted_log_group

#: Long-lived, immutable caching for content-hashed build output; revalidation for the entry points.
ASSET_CACHE = (s3deploy.CacheControl.from_string("public, max-age=31536000, immutable"),)
ENTRY_CACHE = (s3deploy.CacheControl.from_string("no-cache"),)


@dataclass(frozen=True, kw_only=True)
class WebAppProps:
    """Tunables of :class:`WebApp`; every field has a safe default.

    ``domain_names`` + ``certificate_arn``: serve on your own domain (the ACM certificate must be in us-east-1);
    without them the distribution's ``*.cloudfront.net`` name and certificate are used. ``web_acl_arn``: a
    CLOUDFRONT-scope WAF web ACL (created in us-east-1). ``geo_allowlist``: ISO country codes allowed to reach
    the site (empty: everywhere). ``source_dir``: the SPA folder (``npm ci && npm run build`` -> ``dist/``).
    """

    domain_names: Sequence[str] = ()
    certificate_arn: str | None = None
    web_acl_arn: str | None = None
    geo_allowlist: Sequence[str] = ()
    price_class: cloudfront.PriceClass = cloudfront.PriceClass.PRICE_CLASS_100
    log_retention_days: int = 365
    removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN
    auto_delete_objects: bool = False
    source_dir: Path = field(default_factory=lambda: RUNTIME_ROOT / "web")

    def __post_init__(self) -> None:
        if bool(self.domain_names) != bool(self.certificate_arn):
            raise ValueError("WebAppProps: domain_names and certificate_arn go together (give both or neither)")
        cert = self.certificate_arn
        if cert and not cdk.Token.is_unresolved(cert) and (not cert.startswith("arn:") or ":us-east-1:" not in cert):
            raise ValueError(f"WebAppProps.certificate_arn: {cert!r} must be an ACM certificate ARN in us-east-1")
        acl = self.web_acl_arn
        if acl and not cdk.Token.is_unresolved(acl) and (not acl.startswith("arn:") or ":global/webacl/" not in acl):
            raise ValueError(f"WebAppProps.web_acl_arn: {acl!r} is not a CLOUDFRONT-scope web ACL ARN")
        bad = [c for c in self.geo_allowlist if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if bad:
            raise ValueError(f"WebAppProps.geo_allowlist: {bad} are not ISO 3166-1 alpha-2 codes (e.g. 'DE')")
        if self.auto_delete_objects and self.removal_policy != cdk.RemovalPolicy.DESTROY:
            raise ValueError("WebAppProps.auto_delete_objects=True requires removal_policy=RemovalPolicy.DESTROY")
        if self.log_retention_days < 1:
            raise ValueError(f"WebAppProps.log_retention_days: {self.log_retention_days} must be >= 1")


def _origin_of(url: str) -> str:
    """``scheme://host`` of an absolute URL (also of a CloudFormation token such as an API Gateway URL)."""
    parts = cdk.Fn.split("/", url)
    return cdk.Fn.join("", [cdk.Fn.select(0, parts), "//", cdk.Fn.select(2, parts)])


class WebApp(Construct):
    """The chat UI: private, versioned, TLS-only S3 bucket (Origin Access Control) behind CloudFront, with a strict
    response-headers policy (CSP limited to the API and Cognito origins, HSTS, frame-ancestors none, nosniff),
    TLS 1.2+, access logs, optional WAF and custom domain, SPA routing and a deploy-time ``config.json``.

    ``api_url``: the chat API's base URL written to ``config.json`` (``https://.../v1``, or ``/v1`` when the API is
    served from the site's own origin). ``api_origin``: the origin CSP ``connect-src`` allows; by default cut from
    ``api_url``. Give it when ``api_url`` refers to resources that themselves refer to this site (e.g. an API
    Gateway stage whose CORS names :attr:`url`): ``https://{api.rest_api_id}.execute-api.{region}.{url_suffix}``
    depends only on the RestApi, which keeps the CloudFormation graph free of cycles.
    ``key``: encrypts the deployment handler's log group (its policy must allow CloudWatch Logs, as the DataLake
    key's does). The buckets use SSE-S3 (see compliance.py for why).

    Attributes: ``bucket``, ``log_bucket`` (CloudFront access logs), ``distribution``, ``deployment_role``, ``url`` (``https://...``,
    no trailing slash: the Cognito callback and the API's CORS origin), ``response_headers_policy``, ``config``
    (the ``config.json`` document, tokens unresolved).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        access_logs_bucket: s3.IBucket,
        api_url: str,
        api_origin: str | None = None,
        user_pool: cognito.IUserPool | None = None,
        user_pool_client: cognito.IUserPoolClient | None = None,
        user_pool_domain: cognito.UserPoolDomain | None = None,
        key: kms.IKey | None = None,
        props: WebAppProps | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        props = props or WebAppProps()
        self.props = props
        auth_parts = (user_pool, user_pool_client, user_pool_domain)
        if any(auth_parts) and not all(auth_parts):
            raise ValueError("WebApp: user_pool, user_pool_client and user_pool_domain go together (all or none)")
        stack = cdk.Stack.of(self)

        def bucket(
            construct_id: str,
            ownership: s3.ObjectOwnership,
            log_prefix: str,
            rule_id: str,
            *,
            noncurrent_days: int,
            expire_days: int | None = None,
        ) -> s3.Bucket:
            """A private, TLS-only, versioned bucket (S3-managed keys) with access logs under ``log_prefix``."""
            return s3.Bucket(
                self,
                construct_id,
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                object_ownership=ownership,
                enforce_ssl=True,
                minimum_tls_version=1.2,
                versioned=True,
                server_access_logs_bucket=access_logs_bucket,
                server_access_logs_prefix=log_prefix,
                lifecycle_rules=[
                    s3.LifecycleRule(
                        id=rule_id,
                        expiration=cdk.Duration.days(expire_days) if expire_days is not None else None,
                        noncurrent_version_expiration=cdk.Duration.days(noncurrent_days),
                        abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                    )
                ],
                removal_policy=props.removal_policy,
                auto_delete_objects=props.auto_delete_objects,
            )

        self.bucket = bucket(
            "Bucket", s3.ObjectOwnership.BUCKET_OWNER_ENFORCED, "web-site/", "expire-old-builds", noncurrent_days=30
        )
        compliance.acknowledge(self.bucket, "WebApp.site_bucket")

        # CloudFront standard logging delivers with the awslogsdelivery account through ACLs.
        self.log_bucket = bucket(
            "CloudFrontLogs",
            s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            "web-cloudfront-logs/",
            "expire-logs",
            noncurrent_days=7,
            expire_days=props.log_retention_days,
        )
        compliance.acknowledge(self.log_bucket, "WebApp.cloudfront_log_bucket")

        connect = ["'self'"]
        if api_origin is not None:
            connect.append(api_origin)
        elif api_url.startswith("https://") or cdk.Token.is_unresolved(api_url):
            connect.append(_origin_of(api_url))
        if user_pool_domain is not None:
            connect.append(user_pool_domain.base_url())
        csp = "; ".join(
            (
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self'",
                "font-src 'self'",
                "connect-src " + " ".join(connect),
                "manifest-src 'self'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'none'",
                "object-src 'none'",
                "upgrade-insecure-requests",
            )
        )
        self.response_headers_policy = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment=f"{stack.stack_name}: security headers of the chat UI",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(730), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy",
                        value="camera=(), microphone=(), geolocation=(), payment=(), usb=()",
                        override=True,
                    ),
                    cloudfront.ResponseCustomHeader(
                        header="Cross-Origin-Opener-Policy", value="same-origin", override=True
                    ),
                ]
            ),
            remove_headers=["Server"],
        )

        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", props.certificate_arn)
            if props.certificate_arn
            else None
        )
        spa_fallback = [
            cloudfront.ErrorResponse(
                http_status=status,
                response_http_status=200,
                response_page_path="/index.html",
                ttl=cdk.Duration.seconds(0),
            )
            for status in (403, 404)
        ]
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{stack.stack_name}: chat UI",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.response_headers_policy,
                compress=True,
            ),
            default_root_object="index.html",
            error_responses=spa_fallback,
            # Only with our own certificate: the default *.cloudfront.net certificate has CloudFront's fixed policy
            # (CDK warns when a minimum is set without a certificate; CFR4 is acknowledged for that case).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=props.price_class,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix="cloudfront/",
            log_includes_cookies=False,
            web_acl_id=props.web_acl_arn,
            domain_names=list(props.domain_names) or None,
            certificate=certificate,
            geo_restriction=cloudfront.GeoRestriction.allowlist(*props.geo_allowlist) if props.geo_allowlist else None,
        )
        if not props.geo_allowlist:
            compliance.acknowledge(self.distribution, "WebApp.distribution_no_geo_restriction")
        if not props.web_acl_arn:
            compliance.acknowledge(self.distribution, "WebApp.distribution_without_waf")
        if not props.certificate_arn:
            compliance.acknowledge(self.distribution, "WebApp.distribution_default_certificate")

        host = props.domain_names[0] if props.domain_names else self.distribution.distribution_domain_name
        #: The site's origin (no trailing slash): Cognito callback/logout URL base and the API's CORS origin.
        self.url = f"https://{host}"

        auth: dict[str, object] | None = None
        if user_pool is not None and user_pool_client is not None and user_pool_domain is not None:
            auth = {
                "region": stack.region,
                "userPoolId": user_pool.user_pool_id,
                "clientId": user_pool_client.user_pool_client_id,
                "domain": user_pool_domain.base_url(),
                "redirectUri": f"{self.url}/",
                "logoutUri": f"{self.url}/",
                "scopes": ["openid", "email", "profile"],
            }
        self.config: dict[str, object] = {"apiBaseUrl": api_url, "auth": auth}

        # The CDK deployment handler (a CloudFormation custom resource) runs with our role and log group: grants
        # land in one managed policy (no inline policy) and logs are kept, encrypted when a key is given.
        self.deployment_role = ManagedPolicyRole(
            self,
            "DeploymentRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Copies the built chat UI and its config.json into the web bucket; invalidates CloudFront",
        )
        self.deployment_log_group = encrypted_log_group(
            self, "DeploymentLogs", key, LogSettings(logs.RetentionDays.ONE_YEAR, props.removal_policy)
        )
        self.deployment_log_group.grant_write(self.deployment_role)
        if key is None:
            compliance.acknowledge(self.deployment_log_group, "WebApp.deployment_logs_without_key")
        deployment_options: dict[str, Any] = {
            "destination_bucket": self.bucket,
            "role": self.deployment_role,
            "log_group": self.deployment_log_group,
            "memory_limit": 512,
            "prune": False,
        }
        build = s3deploy.Source.asset(str(props.source_dir), **web_dist_asset_options(props.source_dir))
        # Hashed bundles first (cached for a year, never pruned: open tabs keep loading the chunks they know) ...
        self.assets_deployment = s3deploy.BucketDeployment(
            self,
            "DeployAssets",
            sources=[build],
            include=["assets/*"],
            exclude=["*"],
            cache_control=list(ASSET_CACHE),
            **deployment_options,
        )
        # ... then the entry points, revalidated on every load, and a CloudFront invalidation of them.
        self.site_deployment = s3deploy.BucketDeployment(
            self,
            "DeploySite",
            sources=[build, s3deploy.Source.json_data("config.json", self.config)],
            exclude=["assets/*"],
            cache_control=list(ENTRY_CACHE),
            distribution=self.distribution,
            distribution_paths=["/index.html", "/config.json"],
            **deployment_options,
        )
        self.site_deployment.node.add_dependency(self.assets_deployment)
        self._acknowledge_deployment_handler(stack)

        cdk.CfnOutput(self, "Url", value=self.url, description="Chat UI URL (Cognito callback, API CORS origin)")

    def _acknowledge_deployment_handler(self, stack: cdk.Stack) -> None:
        """Acknowledge the findings of CDK's deployment handler: its IAM grants (CDK's bucket grant action groups on
        the asset and web buckets, CloudFront invalidation on ``*``) and the Lambda rules a CloudFormation custom
        resource cannot meet. The handler is a stack-level singleton CDK creates for BucketDeployment."""
        compliance.acknowledge(self.deployment_role, "WebApp.deployment_role_actions")

        def object_findings() -> list[str]:
            document = stack.resolve(self.deployment_role.policy.document.to_json())
            found = []
            for statement in document.get("Statement", []):
                resources = statement.get("Resource", [])
                for resource in resources if isinstance(resources, list) else [resources]:
                    flat = compliance.flatten_reference(resource)
                    if (flat.endswith("/*") and ":s3:::" in flat) or flat.endswith(".Arn>/*"):
                        found.append(f"Resource::{flat}")
            return found

        compliance.acknowledge_findings(self.deployment_role, "WebApp.deployment_role_objects", object_findings)
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                compliance.acknowledge(child, "WebApp.deployment_handler")
