"""Champion / challenger: the decision (pure), and evaluate.py scoring both models on the same set (slow)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))

from champion import COMPARISON_CHART, COMPARISON_JSON, COMPARISON_TABLE, Scores, compare, verdict_metrics

from pipeline_stacks.training_metrics import CHAMPION_METRIC_DEFINITIONS


def scores(name: str, rouge: float | None, latency: float | None = 100.0, ppl: float | None = 3.0) -> Scores:
    return Scores(name, {"rougeL": rouge, "perplexity": ppl}, latency)


def test_a_worse_candidate_is_rejected_with_the_reason() -> None:
    verdict = compare(scores("c", 0.30), scores("p", 0.35), metric="rougeL")
    assert not verdict.candidate_wins
    assert verdict.delta == pytest.approx(-0.05)
    assert verdict.reason == "rougeL 0.3000 vs champion 0.3500: delta -0.0500 below the required +0.0000"


def test_a_better_or_equal_candidate_wins() -> None:
    assert compare(scores("c", 0.40), scores("p", 0.35), metric="rougeL").candidate_wins
    assert compare(scores("c", 0.35), scores("p", 0.35), metric="rougeL").candidate_wins
    assert not compare(scores("c", 0.36), scores("p", 0.35), metric="rougeL", min_delta=0.02).candidate_wins


def test_a_much_slower_candidate_is_rejected_even_when_more_accurate() -> None:
    verdict = compare(scores("c", 0.50, latency=300.0), scores("p", 0.35, latency=100.0), metric="rougeL")
    assert not verdict.candidate_wins and verdict.latency_ratio == pytest.approx(3.0)
    assert "latency 3.00x the champion's (allowed <= 1.25x)" in verdict.reason


def test_lower_is_better_metrics_flip_the_sign() -> None:
    better = compare(
        scores("c", None, ppl=2.0), scores("p", None, ppl=3.0), metric="perplexity", higher_is_better=False
    )
    assert better.candidate_wins and better.delta == pytest.approx(1.0)


@pytest.mark.parametrize(("cand", "champ", "reason"), [(None, 0.3, "candidate has no rougeL"),
                                                      (0.3, None, "champion has no rougeL")])  # fmt: skip
def test_missing_numbers_reject(cand: float | None, champ: float | None, reason: str) -> None:
    verdict = compare(scores("c", cand), scores("p", champ), metric="rougeL")
    assert not verdict.candidate_wins and reason in verdict.reason


def test_verdict_metric_names_are_the_ones_the_evaluation_job_extracts() -> None:
    verdict = compare(scores("c", 0.4), scores("p", 0.3), metric="rougeL")
    extracted = {d["Name"] for d in CHAMPION_METRIC_DEFINITIONS}
    assert set(verdict_metrics(verdict)) == extracted
    assert verdict_metrics(verdict)["candidate_wins"] == 1.0


@pytest.mark.slow
def test_evaluate_scores_both_models_and_names_them(
    run_evaluate: Callable[..., dict[str, Any]],
    trained_model_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "eval"
    # candidate and champion are the same tiny trained model; no timing threshold in a unit test
    report = run_evaluate(out, "--champion-dir", str(trained_model_dir), "--max-latency-ratio", "1000")
    comparison = report["comparison"]
    assert comparison["candidate"]["source"] == str(trained_model_dir)
    assert comparison["champion"]["name"] == "champion"
    # Same model, same set, greedy decoding: identical scores, so the candidate is "as good as" and wins.
    assert comparison["candidate"]["metrics"] == comparison["champion"]["metrics"] == report["metrics"]
    assert comparison["verdict"]["delta"] == 0.0 and comparison["verdict"]["candidate_wins"] is True
    assert json.loads((out / COMPARISON_JSON).read_text()) == comparison
    table = (out / COMPARISON_TABLE).read_text()
    assert "| | candidate | champion |" in table and "candidate wins" in table
    assert (out / COMPARISON_CHART).read_text().startswith("<svg")
    printed = capsys.readouterr().out
    for d in CHAMPION_METRIC_DEFINITIONS:
        assert re.search(d["Regex"], printed), d["Name"]
    assert float(re.search(r"METRIC candidate_wins=([0-9.]+)", printed).group(1)) == 1.0
