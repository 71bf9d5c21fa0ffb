"""``make local`` stages: raw sample -> sanitize (the Glue job's batched path) -> gate -> retrain data from the lake."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lambda_src" / "front_door"))

from local_runtime import lifecycle  # noqa: E402
from local_runtime.lifecycle import Paths  # noqa: E402

pytest.importorskip("pyspark")  # glue_jobs.transform imports pyspark (never started here)


def test_raw_data_carries_pii_and_sanitize_removes_it(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    raw = lifecycle.make_raw(paths)
    assert not raw.skipped and raw.data["records"] == 190
    raw_text = (paths.raw_dir / "train.jsonl").read_text()
    assert "<PERSON>" not in raw_text and "@example." in raw_text
    result = lifecycle.sanitize(paths)
    assert result.data["records_in"] == result.data["sanitized"] + sum(result.data["quarantined"].values())
    assert result.data["entities"]["EMAIL_ADDRESS"] >= 20
    sanitized = (paths.sanitized_dir / "train" / "part-00000.jsonl").read_text()
    assert "@example." not in sanitized and "555" not in sanitized
    for line in sanitized.splitlines():
        json.loads(line)
    # second run: outputs exist, stages skip
    assert lifecycle.make_raw(paths).skipped and lifecycle.sanitize(paths).skipped


@pytest.mark.parametrize(
    ("metric", "value", "threshold", "passed"),
    [
        ("rougeL", 0.31, 0.2, True),
        ("rougeL", 0.1, 0.2, False),
        ("perplexity", 80.0, 100.0, True),
        ("eval_loss", 3.0, 2.0, False),
    ],
)
def test_gate_applies_the_pipeline_rule(
    tmp_path: Path, metric: str, value: float, threshold: float, passed: bool
) -> None:
    paths = Paths(tmp_path)
    paths.evaluation.parent.mkdir(parents=True)
    paths.evaluation.write_text(json.dumps({"metrics": {metric: value}}))
    result = lifecycle.gate(paths, threshold, metric)
    assert result.data["passed"] is passed
    registry = json.loads(paths.registry.read_text())
    assert registry["approval_status"] == ("Approved" if passed else "Rejected")


def test_gate_fails_without_the_metric(tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    paths.evaluation.parent.mkdir(parents=True)
    paths.evaluation.write_text(json.dumps({"metrics": {"rougeL": None}}))
    assert lifecycle.gate(paths, 0.2).data["passed"] is False


def test_retrain_data_uses_served_interactions_minus_negative_feedback(tmp_path: Path) -> None:
    """Interactions and feedback written by the chat API land where continuous learning reads them."""
    from chat_api.app import create_app
    from chat_api.settings import ChatSettings
    from starlette.testclient import TestClient

    paths = Paths(tmp_path)
    lifecycle.make_raw(paths)
    lifecycle.sanitize(paths)
    s = ChatSettings(
        backend="stub",
        storage="local",
        lake_dir=str(paths.lake),
        local_bucket_name="interactions",
        sqlite_path=str(paths.conversations),
    )
    with TestClient(create_app(s)) as c:
        ids = [
            c.post(
                "/v1/chat/completions",
                json={"messages": [{"role": "user", "content": f"question {i} from ann@example.com"}]},
            ).json()["id"]
            for i in range(3)
        ]
        assert c.post("/v1/feedback", json={"completion_id": ids[0], "rating": "down"}).status_code == 200
        assert c.post("/v1/feedback", json={"completion_id": ids[1], "rating": "up"}).status_code == 200
    result = lifecycle.interactions_to_training(paths, min_rating=0)
    assert result.data["added"] == 2
    train = (Path(result.data["data_dir"]) / "train" / "part-00000.jsonl").read_text().splitlines()
    added = [json.loads(line) for line in train[-2:]]
    assert {a["prompt"] for a in added} == {"question 1 from [EMAIL_ADDRESS]", "question 2 from [EMAIL_ADDRESS]"}
    assert "negative_feedback" in result.detail
