"""Cognito sign-in in a real browser: authorization code + PKCE against an intercepted managed-login domain,
bearer tokens on API calls, refresh-free session, sign-out through the managed logout endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.web.conftest import AUTH_DOMAIN, PageProbe, WebTarget

pytestmark = pytest.mark.slow


class FakeManagedLogin:
    """Answers the managed login's /oauth2/authorize, /oauth2/token and /logout inside the browser (page.route)."""

    def __init__(self) -> None:
        self.authorize: dict[str, str] = {}
        self.token_form: dict[str, str] = {}
        self.logout: dict[str, str] = {}

    def handle(self, route: Any) -> None:
        url = urlsplit(route.request.url)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/oauth2/authorize":
            self.authorize = query
            target = f"{query['redirect_uri']}?{urlencode({'code': 'auth-code-1', 'state': query['state']})}"
            route.fulfill(status=302, headers={"Location": target})
        elif url.path == "/oauth2/token":
            if route.request.method == "OPTIONS":
                route.fulfill(status=204, headers=self._cors())
                return
            self.token_form = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
            body = {
                "id_token": "id-token-1",
                "access_token": "access-token-1",
                "refresh_token": "r-1",
                "expires_in": 3600,
            }
            route.fulfill(
                status=200, headers={"Content-Type": "application/json", **self._cors()}, body=json.dumps(body)
            )
        elif url.path == "/logout":
            self.logout = query
            route.fulfill(status=200, headers={"Content-Type": "text/html"}, body="<title>signed out</title>")
        else:
            route.fulfill(status=404)

    @staticmethod
    def _cors() -> dict[str, str]:
        return {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type"}


def test_sign_in_with_pkce_then_api_calls_carry_the_token_then_sign_out(
    browser: Any, auth_target: WebTarget, axe_source: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=auth_target.base_url)
    login = FakeManagedLogin()
    context.route(f"{AUTH_DOMAIN}/**", login.handle)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/")
        sign_in = page.get_by_role("button", name="Sign in")
        sign_in.wait_for()
        page.evaluate(axe_source)
        violations = page.evaluate(
            "async () => (await axe.run()).violations.filter(v => ['serious','critical'].includes(v.impact))"
        )
        assert violations == []
        sign_in.click()
        page.get_by_role("textbox", name="Message").wait_for()

        assert login.authorize["response_type"] == "code"
        assert login.authorize["client_id"] == "web-client-id"
        assert login.authorize["code_challenge_method"] == "S256"
        assert login.authorize["scope"] == "openid email profile"
        assert login.authorize["redirect_uri"] == f"{auth_target.base_url}/"
        # The verifier sent to the token endpoint hashes to the challenge sent to authorize (RFC 7636 S256).
        assert login.token_form["grant_type"] == "authorization_code"
        assert login.token_form["code"] == "auth-code-1"
        digest = hashlib.sha256(login.token_form["code_verifier"].encode()).digest()
        assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == login.authorize["code_challenge"]
        assert "code=" not in page.url, "the authorization code must be removed from the address bar"

        page.get_by_role("textbox", name="Message").fill("hello after sign-in")
        page.get_by_role("button", name="Send", exact=True).click()
        page.get_by_role("button", name="Good response").wait_for()
        assert auth_target.server.last_authorization == "Bearer id-token-1"

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{AUTH_DOMAIN}/logout**")
        assert login.logout == {"client_id": "web-client-id", "logout_uri": f"{auth_target.base_url}/"}
        assert errors == []
    finally:
        context.close()


def test_a_forged_callback_is_refused(desktop: PageProbe, auth_target: WebTarget) -> None:
    page = desktop.page
    page.goto(f"{auth_target.base_url}/?code=stolen&state=forged")
    page.get_by_role("alert").filter(has_text="state mismatch").wait_for()
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert page.get_by_role("textbox", name="Message").count() == 0
