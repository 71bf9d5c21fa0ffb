"""``web.*``: the chat UI (``web/``) on S3 + CloudFront, next to the API in the serving stack."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, model_validator

from pipeline_stacks.config._base import HOSTNAME_PATTERN, Days, _Section, arn


class WebConfig(_Section):
    """The chat UI: private S3 bucket behind CloudFront, Cognito sign-in (``web.*``)."""

    enabled: bool = Field(
        True,
        description="Deploy the chat UI (needs serving.auth='cognito': the browser signs in with the user pool's "
        "managed login). Also makes API keys optional on the API, since a browser cannot keep one secret; "
        "callers still need a Cognito token, and the stage throttle, WAF rate rule and reserved concurrency apply.",
    )
    domain_names: list[str] = Field(
        default_factory=list,
        description="Serve the UI on these hostnames (with certificate_arn); empty: the *.cloudfront.net name.",
    )
    certificate_arn: str | None = Field(
        None,
        pattern=arn("acm", "certificate/[0-9a-f-]{36}", region="us-east-1"),
        description="domain_names: ACM certificate covering them, in us-east-1 (CloudFront's region).",
    )
    web_acl_arn: str | None = Field(
        None,
        pattern=arn("wafv2", "global/webacl/[A-Za-z0-9_-]+/[0-9a-f-]{36}", region="us-east-1"),
        description="A CLOUDFRONT-scope WAF web ACL (created in us-east-1) in front of the UI.",
    )
    geo_allowlist: list[str] = Field(
        default_factory=list,
        description="ISO 3166-1 alpha-2 country codes allowed to load the UI (e.g. ['DE', 'FR']); empty: everywhere.",
    )
    price_class: Literal["100", "200", "all"] = Field(
        "100", description="CloudFront price class: edge locations used ('100': North America and Europe)."
    )
    log_retention_days: Days = Field(365, description="Days CloudFront access logs of the UI are kept in their bucket.")
    auth_domain_prefix: str | None = Field(
        None,
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="Prefix of the Cognito managed-login domain (<prefix>.auth.<region>.amazoncognito.com; unique "
        "per region, must not contain 'aws', 'amazon' or 'cognito'); default: <project>-<env>-<account id>.",
    )

    @model_validator(mode="after")
    def _web_consistency(self) -> Self:
        if bool(self.domain_names) != bool(self.certificate_arn):
            raise ValueError(
                f"web.domain_names={self.domain_names!r} and web.certificate_arn={self.certificate_arn!r} must be "
                "set together (or both left unset)"
            )
        bad = [d for d in self.domain_names if not re.fullmatch(HOSTNAME_PATTERN, d) or len(d) > 253]
        if bad:
            raise ValueError(f"web.domain_names: {bad!r} are not hostnames (e.g. chat.example.com)")
        codes = [c for c in self.geo_allowlist if len(c) != 2 or not c.isalpha() or not c.isupper()]
        if codes:
            raise ValueError(f"web.geo_allowlist: {codes!r} are not ISO 3166-1 alpha-2 codes (e.g. 'DE')")
        prefix = self.auth_domain_prefix or ""
        reserved = [word for word in ("aws", "amazon", "cognito") if word in prefix]
        if reserved:
            raise ValueError(f"web.auth_domain_prefix={prefix!r} contains {reserved!r}, which Cognito refuses")
        return self
