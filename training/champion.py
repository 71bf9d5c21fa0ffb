"""Champion / challenger: compare the candidate with the production model on the same evaluation set.

Pure Python (no torch) so the decision is unit-tested on its own. ``evaluate.py`` scores both models, then
:func:`compare` decides and :func:`write_comparison` writes the report next to ``evaluation.json``:

* ``comparison.json`` - both models' metrics and latency, the delta, the verdict and its reason;
* ``comparison.md``   - the same as a small Markdown table;
* ``comparison.svg``  - a bar chart of the gate metric and latency (hand-written SVG: the evaluation container
  has no plotting library and network-isolated jobs cannot install one).

The verdict (``candidate_wins``) is also printed as ``METRIC`` lines so the quality gate reads it from
``FinalMetricDataList``: ``champion_<metric>``, ``<metric>_delta``, ``latency_ratio``, ``candidate_wins`` (1/0).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

COMPARISON_JSON = "comparison.json"
COMPARISON_TABLE = "comparison.md"
COMPARISON_CHART = "comparison.svg"


@dataclass(frozen=True)
class Scores:
    """One model's results on the shared evaluation set."""

    name: str
    metrics: dict[str, float | None]
    latency_ms_per_sample: float | None
    source: str | None = None


@dataclass(frozen=True)
class Verdict:
    """The gate's decision. ``delta``: candidate minus champion, signed so positive is better."""

    metric: str
    candidate_value: float | None
    champion_value: float | None
    delta: float | None
    latency_ratio: float | None
    candidate_wins: bool
    reason: str


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def compare(
    candidate: Scores,
    champion: Scores,
    *,
    metric: str,
    higher_is_better: bool = True,
    min_delta: float = 0.0,
    max_latency_ratio: float = 1.25,
) -> Verdict:
    """Does ``candidate`` beat ``champion``? It must be at least ``min_delta`` better on ``metric`` (0: as good
    as) and at most ``max_latency_ratio`` times slower per generated sample. Missing numbers reject, with why."""
    cand, champ = candidate.metrics.get(metric), champion.metrics.get(metric)
    delta = None
    if _finite(cand) and _finite(champ):
        delta = (cand - champ) if higher_is_better else (champ - cand)  # type: ignore[operator]
    ratio = None
    cand_ms, champ_ms = candidate.latency_ms_per_sample, champion.latency_ms_per_sample
    if cand_ms is not None and champ_ms is not None and _finite(cand_ms) and _finite(champ_ms):
        ratio = cand_ms / max(champ_ms, 1e-9)
    reasons = []
    if not _finite(cand):
        reasons.append(f"candidate has no {metric}")
    elif not _finite(champ):
        reasons.append(f"champion has no {metric}: cannot compare")
    elif delta is not None and delta < min_delta:
        reasons.append(
            f"{metric} {cand:.4f} vs champion {champ:.4f}: delta {delta:+.4f} below the required {min_delta:+.4f}"
        )
    if ratio is not None and ratio > max_latency_ratio:
        reasons.append(f"latency {ratio:.2f}x the champion's (allowed <= {max_latency_ratio:.2f}x)")
    wins = not reasons
    if wins:
        latency = f", latency {ratio:.2f}x" if ratio is not None else ""
        reasons.append(f"{metric} {cand:.4f} vs champion {champ:.4f} (delta {delta:+.4f}){latency}")
    return Verdict(
        metric=metric,
        candidate_value=cand,
        champion_value=champ,
        delta=delta,
        latency_ratio=ratio,
        candidate_wins=wins,
        reason="; ".join(reasons),
    )


def verdict_metrics(verdict: Verdict) -> dict[str, float]:
    """The numbers printed as ``METRIC`` lines for the quality gate."""
    out = {"candidate_wins": 1.0 if verdict.candidate_wins else 0.0}
    if _finite(verdict.champion_value):
        out[f"champion_{verdict.metric}"] = float(verdict.champion_value)  # type: ignore[arg-type]
    if _finite(verdict.delta):
        out[f"{verdict.metric}_delta"] = float(verdict.delta)  # type: ignore[arg-type]
    if _finite(verdict.latency_ratio):
        out["latency_ratio"] = float(verdict.latency_ratio)  # type: ignore[arg-type]
    return out


def _fmt(value: float | None) -> str:
    return "n/a" if not _finite(value) else f"{value:.4g}"


def table(candidate: Scores, champion: Scores, verdict: Verdict) -> str:
    """A Markdown table naming both models, then the verdict."""
    names = sorted({*candidate.metrics, *champion.metrics})
    rows = ["| | candidate | champion |", "|---|---|---|"]
    rows.append(f"| model | {candidate.source or candidate.name} | {champion.source or champion.name} |")
    rows += [f"| {n} | {_fmt(candidate.metrics.get(n))} | {_fmt(champion.metrics.get(n))} |" for n in names]
    rows.append(
        f"| latency ms/sample | {_fmt(candidate.latency_ms_per_sample)} | {_fmt(champion.latency_ms_per_sample)} |"
    )
    outcome = "candidate wins" if verdict.candidate_wins else "candidate rejected"
    return "\n".join([*rows, "", f"**{outcome}**: {verdict.reason}", ""])


def chart(candidate: Scores, champion: Scores, verdict: Verdict) -> str:
    """Two grouped bars (gate metric, latency), each scaled to the larger of the pair, as SVG."""
    groups = [
        (verdict.metric, candidate.metrics.get(verdict.metric), champion.metrics.get(verdict.metric)),
        ("latency ms/sample", candidate.latency_ms_per_sample, champion.latency_ms_per_sample),
    ]
    width, bar, gap, top, height = 360, 50, 20, 30, 160
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 70}" font-family="sans-serif" '
        'font-size="11">',
        f'<text x="10" y="16" font-size="13">candidate vs champion: '
        f"{'wins' if verdict.candidate_wins else 'rejected'}</text>",
    ]
    for g, (label, cand, champ) in enumerate(groups):
        biggest = max([float(v) for v in (cand, champ) if v is not None and _finite(v)] or [1.0]) or 1.0
        x0 = 20 + g * (2 * bar + 3 * gap)
        for i, (name, value, colour) in enumerate((("candidate", cand, "#2b6cb0"), ("champion", champ, "#a0aec0"))):
            h = 0 if not _finite(value) else max(1, int(height * value / biggest))  # type: ignore[operator]
            x = x0 + i * (bar + 4)
            parts.append(f'<rect x="{x}" y="{top + height - h}" width="{bar}" height="{h}" fill="{colour}"/>')
            parts.append(f'<text x="{x}" y="{top + height + 14}">{name}</text>')
            parts.append(f'<text x="{x}" y="{top + height - h - 3}">{_fmt(value)}</text>')
        parts.append(f'<text x="{x0}" y="{top + height + 30}" font-weight="bold">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_comparison(out_dir: Path, candidate: Scores, champion: Scores, verdict: Verdict) -> dict[str, Any]:
    """Write comparison.json/.md/.svg into ``out_dir``; returns the JSON document."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = {"candidate": asdict(candidate), "champion": asdict(champion), "verdict": asdict(verdict)}
    (out_dir / COMPARISON_JSON).write_text(json.dumps(document, indent=2))
    (out_dir / COMPARISON_TABLE).write_text(table(candidate, champion, verdict))
    (out_dir / COMPARISON_CHART).write_text(chart(candidate, champion, verdict))
    return document
