"""Metric contract between ``training/`` entry points, SageMaker and the quality gate.

Pure Python (no CDK, no torch) so the CDK constructs and the tests share one copy of the
regexes. ``training/train.py`` and ``training/evaluate.py`` print one line per value::

    METRIC train_loss=1.2345 step=10
    METRIC eval_loss=1.1 step=10
    METRIC tokens_per_second=5321.7 step=10
    METRIC perplexity=3.0042

``evaluate.py`` also writes ``evaluation.json`` (shape in ``EVALUATION_REPORT_SHAPE``); the
Step Functions quality gate reads ``QUALITY_GATE_JSONPATH`` from it.
"""

from __future__ import annotations

METRIC_LINE_PREFIX = "METRIC"
# One capture group, plain character class: SageMaker's metric parser takes the first group.
_NUMBER = r"([0-9.eE+-]+)"

TRAINING_METRIC_NAMES: tuple[str, ...] = ("train_loss", "eval_loss", "tokens_per_second", "learning_rate")
EVALUATION_METRIC_NAMES: tuple[str, ...] = ("eval_loss", "perplexity", "rougeL")

EVALUATION_REPORT_FILENAME = "evaluation.json"
# Documented shape of evaluation.json (values are floats; rougeL is null when no prompt set was given).
EVALUATION_REPORT_SHAPE: dict[str, object] = {
    "metrics": {"eval_loss": "float", "perplexity": "float", "rougeL": "float | null"},
    "samples": "int: prompt/reference pairs scored for rougeL",
    "eval_tokens": "int: held-out tokens scored for perplexity",
}
QUALITY_GATE_METRIC = "rougeL"
QUALITY_GATE_JSONPATH = f"$.metrics.{QUALITY_GATE_METRIC}"
# The gate passes when the metric is >= the configured threshold (ROUGE-L F1 is higher-is-better).
QUALITY_GATE_HIGHER_IS_BETTER = True


# Champion / challenger lines, printed by evaluate.py only when the production model was scored too.
CHAMPION_METRIC_NAMES: tuple[str, ...] = (
    "candidate_wins",
    f"champion_{QUALITY_GATE_METRIC}",
    f"{QUALITY_GATE_METRIC}_delta",
    "latency_ratio",
)


def metric_regex(name: str) -> str:
    """SageMaker ``MetricDefinitions`` regex for ``name`` (first group is the value)."""
    return rf"{METRIC_LINE_PREFIX} {name}={_NUMBER}"


def metric_definitions(names: tuple[str, ...]) -> list[dict[str, str]]:
    """``[{"Name": ..., "Regex": ...}]`` for a SageMaker training job."""
    return [{"Name": name, "Regex": metric_regex(name)} for name in names]


TRAINING_METRIC_DEFINITIONS: list[dict[str, str]] = metric_definitions(TRAINING_METRIC_NAMES)
EVALUATION_METRIC_DEFINITIONS: list[dict[str, str]] = metric_definitions(EVALUATION_METRIC_NAMES)
CHAMPION_METRIC_DEFINITIONS: list[dict[str, str]] = metric_definitions(CHAMPION_METRIC_NAMES)
