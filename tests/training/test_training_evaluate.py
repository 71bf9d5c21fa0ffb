"""evaluate.py: evaluation.json shape, metric lines, model.tar.gz input, ROUGE-L."""

from __future__ import annotations

import math
import re
import tarfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("torch")

from pipeline_stacks.training_metrics import EVALUATION_METRIC_DEFINITIONS, QUALITY_GATE_METRIC

pytestmark = pytest.mark.slow


Evaluate = Callable[..., dict[str, Any]]


def test_report_shape_and_metric_lines(
    run_evaluate: Evaluate, sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_evaluate(tmp_path)
    n_test = sum(1 for line in (sample_data / "test" / "test.jsonl").read_text().splitlines() if line.strip())
    assert set(report) == {"metrics", "samples", "eval_tokens"}
    metrics = report["metrics"]
    assert set(metrics) == {"eval_loss", "perplexity", "rougeL"}
    assert report["samples"] == n_test and report["eval_tokens"] > 0
    assert metrics["perplexity"] == pytest.approx(math.exp(metrics["eval_loss"]))
    assert 0.0 <= metrics[QUALITY_GATE_METRIC] <= 1.0
    out = capsys.readouterr().out
    for d in EVALUATION_METRIC_DEFINITIONS:
        assert float(re.search(d["Regex"], out).group(1)) == pytest.approx(metrics[d["Name"]], rel=1e-5)


def test_reads_model_tarball_like_a_processing_job(
    run_evaluate: Evaluate, trained_model_dir: Path, tmp_path: Path
) -> None:
    model_input = tmp_path / "model"
    model_input.mkdir()
    with tarfile.open(model_input / "model.tar.gz", "w:gz") as tar:
        for file in trained_model_dir.iterdir():
            tar.add(file, arcname=file.name)
    direct = run_evaluate(tmp_path / "a")
    packed = run_evaluate(tmp_path / "b", model=model_input)
    assert packed == direct  # deterministic: greedy decoding, no sampling


def test_text_only_held_out_set_gives_null_rouge(run_evaluate: Evaluate, tmp_path: Path) -> None:
    held_out = tmp_path / "heldout"
    held_out.mkdir()
    (held_out / "part-0.jsonl").write_text('{"text": "Ticket closed on <DATE_TIME>."}\n')
    report = run_evaluate(tmp_path / "out", test_dir=held_out)
    assert report["metrics"]["rougeL"] is None and report["samples"] == 0
    assert report["metrics"]["eval_loss"] > 0


def test_separate_prompt_set(run_evaluate: Evaluate, sample_data: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "How do I track my parcel?", "reference": "Use the tracking link."}\n')
    report = run_evaluate(tmp_path / "out", "--prompts", str(prompts), test_dir=sample_data / "validation")
    assert report["samples"] == 1


def test_rouge_l_bounds(sm_evaluate: ModuleType) -> None:
    assert sm_evaluate.rouge_l(["open the orders page"], ["Open the Orders page"]) == pytest.approx(1.0)
    assert sm_evaluate.rouge_l(["zebra"], ["open orders"]) == 0.0
    assert 0.0 < sm_evaluate.rouge_l(["open the page", "x"], ["open the orders page", "x"]) < 1.0
