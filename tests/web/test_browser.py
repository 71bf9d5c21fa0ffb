"""The web UI in a real browser (headless Debian chromium via Playwright) against the server of
:func:`tests.web.conftest.web_target`: streaming, Stop, feedback, history, untrusted markdown,
accessibility (axe), keyboard-only use and phone width."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import PageProbe, WebTarget, open_page

pytestmark = pytest.mark.slow

SERIOUS = ("serious", "critical")


def _send(page: Any, text: str) -> Any:
    """Type ``text`` into the Message box, press Send and return the locator of the new answer."""
    before = page.get_by_role("article", name="Answer").count()
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send", exact=True).click()
    answer = page.get_by_role("article", name="Answer").nth(before)
    answer.wait_for()
    return answer


def _wait_complete(answer: Any, timeout: float = 30_000) -> None:
    answer.page.wait_for_function(
        "el => el.getAttribute('aria-busy') === 'false'", arg=answer.element_handle(), timeout=timeout
    )


def _record_answer_lengths(page: Any) -> None:
    """Record the text length of the newest answer at every DOM change (window.__lengths)."""
    page.evaluate(
        """() => {
          window.__lengths = [];
          const messages = document.querySelector('section[aria-label="Messages"]');
          new MutationObserver(() => {
            const answers = messages.querySelectorAll('article[aria-label="Answer"]');
            const last = answers[answers.length - 1];
            const md = last && last.querySelector('.markdown');
            if (md) window.__lengths.push(md.textContent.length);
          }).observe(messages, {subtree: true, childList: true, characterData: true});
        }"""
    )


def _axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    page.evaluate(axe_source)  # CDP evaluation: not subject to the page's CSP
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [v for v in result if v.get("impact") in SERIOUS]


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']]}" for v in violations
    )


def test_answer_grows_while_streaming_then_completes(desktop: PageProbe) -> None:
    page = desktop.page
    page.goto("/")
    page.get_by_text("Conversations are stored with personal data redacted").wait_for()
    _record_answer_lengths(page)
    answer = _send(page, "Please explain in a few words how streaming answers reach the browser")
    _wait_complete(answer)
    final = answer.locator(".markdown").inner_text()
    lengths = page.evaluate("window.__lengths")
    partial = sorted({n for n in lengths if 0 < n < len(final)})
    assert len(partial) >= 2, f"answer did not grow in steps: {lengths}"
    assert page.get_by_role("button", name="Good response").is_visible()
    assert page.get_by_role("button", name="Bad response").is_visible()
    # The built app runs under the host's strict CSP without violations or script errors.
    assert desktop.page_errors == []
    assert desktop.console_errors == []


def test_stop_ends_the_stream_and_keeps_the_partial_answer(desktop: PageProbe) -> None:
    page = desktop.page
    page.goto("/")
    long_prompt = "Write a long answer about " + " ".join(f"topic{i}" for i in range(200))
    answer = _send(page, long_prompt)
    answer.locator(".markdown").wait_for()
    page.get_by_role("button", name="Stop").click()
    _wait_complete(answer)
    assert answer.get_by_text("Stopped.").is_visible()
    text = answer.locator(".markdown").inner_text()
    assert text and "topic199" not in text
    page.wait_for_timeout(600)
    assert answer.locator(".markdown").inner_text() == text, "the answer kept growing after Stop"
    assert page.get_by_role("button", name="Send", exact=True).is_visible()
    assert page.get_by_role("button", name="Stop").count() == 0


def test_bad_response_with_comment_records_feedback(desktop: PageProbe, web_target: WebTarget) -> None:
    page = desktop.page
    page.goto("/")
    answer = _send(page, "What is the capital of Australia?")
    _wait_complete(answer)
    before = len(web_target.feedback_records())
    comment = f"Wrong city {uuid.uuid4().hex[:6]}"
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback") and r.request.method == "POST") as info:
        answer.get_by_role("button", name="Bad response").click()
        answer.get_by_role("textbox", name="What was wrong? (optional)").fill(comment)
        answer.get_by_role("button", name="Send feedback").click()
    assert info.value.status == 200
    answer.get_by_text("Feedback sent.").wait_for()
    records = web_target.feedback_records()
    assert len(records) == before + 1
    assert records[-1]["rating"] in ("down", -1)
    assert comment in str(records[-1].get("comment"))


def test_reload_shows_the_conversation_and_it_can_be_renamed_and_deleted(desktop: PageProbe) -> None:
    page = desktop.page
    page.goto("/")
    token = f"picnic-{uuid.uuid4().hex[:8]}"
    _wait_complete(_send(page, f"Plan a {token} for four people"))
    page.reload()
    nav = page.get_by_role("navigation", name="Conversations")
    newest = nav.get_by_role("listitem").first
    newest.get_by_role("button").first.click()
    page.get_by_role("article", name="Your message").filter(has_text=token).wait_for()

    newest.get_by_role("button", name="Rename").first.click()
    title = f"Renamed {token}"
    nav.get_by_role("textbox", name="New title").fill(title)
    nav.get_by_role("button", name="Save").click()
    page.reload()
    entry = nav.get_by_role("listitem").filter(has_text=title)
    entry.wait_for()
    entry.get_by_role("button", name=f"Delete {title}").click()
    entry.get_by_role("button", name=f"Confirm delete {title}").click()
    page.wait_for_function("t => !document.querySelector('nav').textContent.includes(t)", arg=title)
    page.reload()
    nav.get_by_role("button", name="New chat").wait_for()
    assert nav.get_by_text(title).count() == 0


def test_untrusted_markdown_executes_nothing(desktop: PageProbe) -> None:
    page = desktop.page
    page.goto("/")
    payload = (
        'Check <img src=x onerror="window.__pwned=1;alert(1)"> and '
        "[click me](javascript:window.__pwned=2;alert(2)) and <script>window.__pwned=3</script> end"
    )
    answer = _send(page, payload)
    _wait_complete(answer)
    body = answer.locator(".markdown")
    links = body.get_by_text("click me")
    if links.count():
        assert links.first.get_attribute("href") is None
        links.first.click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert desktop.dialogs == []
    assert body.locator("img, script, iframe, svg").count() == 0
    # Shown as text: the payload really reached the renderer (an echoing model), so the checks above mean something.
    assert "onerror" in body.inner_text()


def test_axe_finds_no_serious_violations(desktop: PageProbe, axe_source: str) -> None:
    page = desktop.page
    page.goto("/")
    _wait_complete(_send(page, "Show me a **bold** word, a `code` span and a list:\n\n- one\n- two"))
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("combobox", name="Model").wait_for()
    page.get_by_role("article", name="Answer").last.get_by_role("button", name="Bad response").click()
    violations = _axe_violations(page, axe_source)
    assert violations == [], _describe(violations)


def test_keyboard_only(desktop: PageProbe) -> None:
    page = desktop.page
    page.goto("/")
    page.get_by_role("button", name="New chat").wait_for()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "message":
            break
    else:
        pytest.fail("Tab never reached the Message box")
    page.keyboard.type("Hello from the keyboard")
    page.keyboard.press("Enter")
    answer = page.get_by_role("article", name="Answer").last
    answer.wait_for()
    _wait_complete(answer)
    # Shift+Tab walks back from the Message box into the answer's buttons.
    reached = set()
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        reached.add(page.evaluate("document.activeElement.textContent"))
    assert any("Good response" in r for r in reached), reached


def test_phone_width(phone: PageProbe, axe_source: str) -> None:
    page = phone.page
    page.goto("/")
    answer = _send(page, "Hello from a phone")
    _wait_complete(answer)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scrolling"
    box = page.get_by_role("textbox", name="Message").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    toggle = page.get_by_role("button", name="Conversations")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.get_by_role("button", name="New chat").click()
    assert page.get_by_role("article", name="Answer").count() == 0
    violations = _axe_violations(page, axe_source)
    assert violations == [], _describe(violations)


# Error states need a server that can be made to fail on demand: the dev mock's magic prompts.


@pytest.fixture
def mock_page(browser: Any, mock_target: WebTarget) -> Iterator[Any]:
    for probe in open_page(browser, mock_target, {"width": 1280, "height": 800}):
        probe.page.goto("/")
        yield probe.page


def test_rate_limited_says_when_to_retry(mock_page: Any) -> None:
    answer = _send(mock_page, "hello #429")
    _wait_complete(answer)
    assert answer.get_by_role("alert").inner_text() == "Too many requests. Please try again in 7 seconds."
    assert answer.get_by_role("button", name="Retry").is_visible()


def test_model_warming_up_is_explained(mock_page: Any) -> None:
    answer = _send(mock_page, "hello #503")
    _wait_complete(answer)
    assert "starting up" in answer.get_by_role("alert").inner_text()
    assert "30 seconds" in answer.get_by_role("alert").inner_text()


def test_network_lost_mid_stream_keeps_partial_answer_and_offers_retry(mock_page: Any) -> None:
    answer = _send(mock_page, "one two three four five six seven eight #cut")
    _wait_complete(answer)
    assert "You said: one" in answer.locator(".markdown").inner_text()
    assert "partial answer is kept" in answer.get_by_role("alert").inner_text()
    with mock_page.expect_request(lambda r: r.url.endswith("/v1/chat/completions")):
        answer.get_by_role("button", name="Retry").click()


def test_citations_are_listed_under_sources(mock_page: Any) -> None:
    answer = _send(mock_page, "What is the leave policy? #sources")
    _wait_complete(answer)
    summary = answer.get_by_text("Sources (2)")
    summary.click()
    link = answer.get_by_role("link", name="Employee handbook")
    assert link.get_attribute("href") == "https://docs.example.com/handbook#leave"
    assert answer.get_by_text("Travel policy").is_visible()
