"""Raw prompts, outputs and comments never reach the logs (Powertools logger, root logger, stdout)."""

from __future__ import annotations

from typing import Any

import pytest
from front_door_support import BUCKET, make_event, tgi_body

SECRET_EMAIL = "victor.secret@example.org"
SECRET_PHONE = "212-555-0187"
PROMPT = f"My email is {SECRET_EMAIL} and my phone is {SECRET_PHONE}; summarise my account."


def assert_clean(*outputs: str) -> None:
    for text in outputs:
        assert SECRET_EMAIL not in text
        assert SECRET_PHONE not in text


@pytest.fixture(autouse=True)
def loud_logging(env: Any) -> None:
    from frontdoor.observability import logger

    logger.setLevel("DEBUG")


def test_success_logs_no_content(s3: Any, sagemaker: Any, invoke: Any, log_lines: Any,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    sagemaker.add_response("invoke_endpoint", tgi_body(f"Noted: {SECRET_EMAIL}"))
    resp = invoke(make_event({"prompt": PROMPT}))
    assert resp["statusCode"] == 200
    logs = log_lines.getvalue()
    assert '"generate ok"' in logs and '"prompt_chars"' in logs
    assert_clean(logs, capsys.readouterr().out + capsys.readouterr().err)


def test_storage_failure_logs_no_content(s3: Any, sagemaker: Any, invoke: Any, log_lines: Any) -> None:
    s3.delete_bucket(Bucket=BUCKET)
    sagemaker.add_response("invoke_endpoint", tgi_body(f"Noted: {SECRET_EMAIL}"))
    assert invoke(make_event({"prompt": PROMPT}))["statusCode"] == 200
    logs = log_lines.getvalue()
    assert "interaction not stored" in logs
    assert_clean(logs)


def test_upstream_error_message_is_not_logged(s3: Any, sagemaker: Any, invoke: Any, log_lines: Any) -> None:
    sagemaker.add_client_error("invoke_endpoint", service_error_code="ModelError", http_status_code=424,
                               service_message=f"container failed on input: {PROMPT}")
    resp = invoke(make_event({"prompt": PROMPT}))
    assert resp["statusCode"] == 502
    assert_clean(log_lines.getvalue(), resp["body"])


def test_schema_violation_logs_no_content(env: Any, invoke: Any, log_lines: Any) -> None:
    env.setenv("PROMPT_MAX_CHARS", "20")
    from frontdoor import config

    config.settings.cache_clear()
    resp = invoke(make_event({"prompt": PROMPT, SECRET_EMAIL: 1}))
    assert resp["statusCode"] == 400
    assert_clean(log_lines.getvalue())


def test_feedback_comment_is_not_logged(s3: Any, invoke: Any, log_lines: Any) -> None:
    resp = invoke(make_event({"request_id": "9d8c7b6a-5432-4f10-9e8d-7c6b5a493827", "rating": "down",
                              "comment": PROMPT}, path="/v1/feedback"))
    assert resp["statusCode"] == 202
    assert_clean(log_lines.getvalue())
