"""The metric contract in pipeline_stacks/training_metrics.py (pure Python, no torch)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline_stacks import training_metrics as tm

REPO = Path(__file__).resolve().parents[2]


def parse(definitions: list[dict[str, str]], log: str) -> dict[str, list[float]]:
    """What SageMaker extracts from ``log`` with ``definitions`` (first group of each match)."""
    return {d["Name"]: [float(m.group(1)) for m in re.finditer(d["Regex"], log)] for d in definitions}


def test_definitions_have_sagemaker_shape() -> None:
    for definitions, names in (
        (tm.TRAINING_METRIC_DEFINITIONS, tm.TRAINING_METRIC_NAMES),
        (tm.EVALUATION_METRIC_DEFINITIONS, tm.EVALUATION_METRIC_NAMES),
    ):
        assert [d["Name"] for d in definitions] == list(names)
        for d in definitions:
            assert set(d) == {"Name", "Regex"}
            assert re.compile(d["Regex"]).groups == 1
            assert len(d["Regex"]) <= 500


def test_required_training_metrics_are_defined() -> None:
    assert {"train_loss", "eval_loss", "tokens_per_second"} <= set(tm.TRAINING_METRIC_NAMES)


@pytest.mark.parametrize("value", ["1.2345", "5e-05", "0", "8167", "1.5E+10", "250.586"])
def test_regex_captures_number_formats(value: str) -> None:
    log = f"noise\nMETRIC train_loss={value} step=10\nMETRIC eval_loss=2 step=10\n"
    parsed = parse(tm.TRAINING_METRIC_DEFINITIONS, log)
    assert parsed["train_loss"] == [float(value)]
    assert parsed["eval_loss"] == [2.0]
    assert parsed["tokens_per_second"] == []


def test_names_do_not_capture_each_other() -> None:
    parsed = parse(tm.TRAINING_METRIC_DEFINITIONS, "METRIC learning_rate=0.001 step=3\n{'loss': 9.9}\n")
    assert parsed == {"train_loss": [], "eval_loss": [], "tokens_per_second": [], "learning_rate": [0.001]}


def test_quality_gate_reads_a_documented_evaluation_metric() -> None:
    assert tm.QUALITY_GATE_METRIC in tm.EVALUATION_METRIC_NAMES
    assert tm.QUALITY_GATE_METRIC in tm.EVALUATION_REPORT_SHAPE["metrics"]
    assert f"$.metrics.{tm.QUALITY_GATE_METRIC}" == tm.QUALITY_GATE_JSONPATH
    assert tm.EVALUATION_REPORT_FILENAME == "evaluation.json"


def test_metric_module_is_pure_python() -> None:
    tree = ast.parse(Path(tm.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__"}


def test_nothing_under_pipeline_stacks_imports_ml_frameworks() -> None:
    banned = {"torch", "transformers", "peft", "accelerate", "rouge_score"}
    for path in (REPO / "pipeline_stacks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & banned, f"{path} imports {roots & banned}"
