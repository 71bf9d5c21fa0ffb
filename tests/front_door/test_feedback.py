"""POST /v1/feedback: validation, redacted storage linked by request_id, storage failure -> 503."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from front_door_support import BUCKET, REQUEST_ID, make_event, stored, tgi_body

RATED = "9d8c7b6a-5432-4f10-9e8d-7c6b5a493827"


@pytest.mark.parametrize(("rating", "score"), [("up", 1), ("down", -1), (1, 1), (0, 0), (-1, -1)])
def test_feedback_is_stored(s3: Any, invoke: Any, rating: Any, score: int) -> None:
    resp = invoke(make_event({"request_id": RATED, "rating": rating, "comment": "Call me at 415-555-0134"},
                             path="/v1/feedback"))
    assert resp["statusCode"] == 202, resp["body"]
    body = resp["json"]
    assert body["request_id"] == RATED and body["status"] == "accepted"
    uuid.UUID(body["feedback_id"])
    [(key, record)] = stored(s3, "feedback/")
    assert key.startswith("feedback/dt=") and key.endswith(f"/{RATED}-{body['feedback_id']}.json")
    assert record["request_id"] == RATED
    assert record["feedback_request_id"] == REQUEST_ID
    assert record["rating"] == score
    assert "415-555-0134" not in json.dumps(record)
    assert record["comment"].startswith("Call me at ") and "[PHONE_NUMBER]" in record["comment"]
    assert record["pii_counts"]["comment"]["PHONE_NUMBER"] == 1
    assert resp["metrics"]["FeedbackRequests"] == [1.0]


def test_feedback_without_comment(s3: Any, invoke: Any) -> None:
    resp = invoke(make_event({"request_id": RATED, "rating": "up"}, path="/v1/feedback"))
    assert resp["statusCode"] == 202
    [(_, record)] = stored(s3, "feedback/")
    assert record["comment"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"rating": "up"},
        {"request_id": RATED},
        {"request_id": "../../etc/passwd", "rating": "up"},
        {"request_id": "short", "rating": "up"},
        {"request_id": RATED, "rating": "meh"},
        {"request_id": RATED, "rating": 2},
        {"request_id": RATED, "rating": 0.5},
        {"request_id": RATED, "rating": 1.0},
        {"request_id": RATED, "rating": True},
        {"request_id": RATED, "rating": "up", "comment": "x" * 2001},
        {"request_id": RATED, "rating": "up", "comment": 5},
        {"request_id": RATED, "rating": "up", "user": "someone"},
    ],
)
def test_invalid_feedback_is_400(s3: Any, invoke: Any, body: dict[str, Any]) -> None:
    resp = invoke(make_event(body, path="/v1/feedback"))
    assert resp["statusCode"] == 400, resp["body"]
    assert resp["json"]["error"]["code"] == "invalid_request"
    assert not stored(s3, "feedback/")


def test_feedback_storage_failure_is_503(s3: Any, invoke: Any) -> None:
    s3.delete_bucket(Bucket=BUCKET)
    resp = invoke(make_event({"request_id": RATED, "rating": "down"}, path="/v1/feedback"))
    assert resp["statusCode"] == 503
    assert resp["json"]["error"]["code"] == "storage_unavailable"
    assert resp["hdr"]["retry-after"]
    assert resp["metrics"]["FeedbackLogFailures"] == [1.0]


def test_feedback_links_to_a_stored_interaction(s3: Any, sagemaker: Any, invoke: Any) -> None:
    sagemaker.add_response("invoke_endpoint", tgi_body())
    answer = invoke(make_event({"prompt": "hello"}))["json"]
    resp = invoke(make_event({"request_id": answer["request_id"], "rating": "up"}, path="/v1/feedback",
                             request_id="7f1e2d3c-0000-4000-8000-000000000001"))
    assert resp["statusCode"] == 202
    [(_, interaction)] = stored(s3, "interactions/")
    [(key, feedback)] = stored(s3, "feedback/")
    assert feedback["request_id"] == interaction["request_id"] == answer["request_id"]
    assert f"/{answer['request_id']}-" in key
