"""Reports of a run: ``results.json`` + ``steps.csv`` + ``requests.csv`` (CI), ``report.html`` (self-contained: inline
SVG charts drawn with matplotlib, no scripts, no CDN), and the terminal summary table."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.autoscaling import AutoscalingData
from loadtest.metrics import (
    RequestRecord,
    Summary,
    TimeBucket,
    summarize_overall,
    summarize_stages,
    timeline,
)
from loadtest.profiles import Stage, StageClock

SCHEMA_VERSION = 1


@dataclass
class RunResult:
    """Everything one run produced."""

    config: dict[str, Any]
    stages: list[Stage]
    records: list[RequestRecord]
    started_at: str
    duration_s: float
    autoscaling: AutoscalingData | None = None
    notes: list[str] = field(default_factory=list)

    def stage_summaries(self) -> list[Summary]:
        """Per-stage metrics."""
        return summarize_stages(self.records, self.stages)

    def overall(self) -> Summary:
        """Whole-run metrics (over the planned duration)."""
        return summarize_overall(self.records, StageClock(self.stages).total_s)

    def timeline(self) -> list[TimeBucket]:
        """Requests over time."""
        return timeline(self.records, StageClock(self.stages).total_s)

    def as_dict(self) -> dict[str, Any]:
        """``results.json``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "config": self.config,
            "stages": [
                {"name": s.name, "users": s.users, "duration_s": s.duration_s, "spawn_rate": s.spawn_rate}
                for s in self.stages
            ],
            "overall": self.overall().as_dict(),
            "steps": [s.as_dict() for s in self.stage_summaries()],
            "timeline": [
                {
                    "t": b.t,
                    "width": b.width,
                    "users": b.users,
                    "ok": b.ok,
                    "throttled": b.throttled,
                    "errors": b.errors,
                    "errors_by_status": b.errors_by_status,
                    "output_tokens": b.output_tokens,
                }
                for b in self.timeline()
            ],
            "autoscaling": self.autoscaling.as_dict() if self.autoscaling else None,
            "notes": self.notes,
        }

    @classmethod
    def from_files(cls, results_json: Path, requests_csv: Path) -> RunResult:
        """Re-read a run written by :func:`write_reports` (``python -m loadtest report``)."""
        data = json.loads(results_json.read_text(encoding="utf-8"))
        records: list[RequestRecord] = []
        with requests_csv.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                records.append(RequestRecord.from_row(row))
        auto = data.get("autoscaling")
        return cls(
            config=data["config"],
            stages=[Stage(**s) for s in data["stages"]],
            records=records,
            started_at=data["started_at"],
            duration_s=data["duration_s"],
            autoscaling=AutoscalingData.from_dict(auto) if auto else None,
            notes=data.get("notes", []),
        )


# ---------------------------------------------------------------- files


def write_reports(result: RunResult, out_dir: Path, *, html_report: bool = True, png: bool = False) -> dict[str, Path]:
    """Write ``results.json``, ``steps.csv``, ``requests.csv``, (unless disabled) ``report.html`` and, with ``png``,
    ``charts/<name>.png`` (for pasting into a ticket)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "results.json",
        "steps_csv": out_dir / "steps.csv",
        "requests_csv": out_dir / "requests.csv",
    }
    paths["json"].write_text(json.dumps(result.as_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    summaries = result.stage_summaries()
    rows = [s.flat() for s in [*summaries, result.overall()]]
    with paths["steps_csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with paths["requests_csv"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=RequestRecord.csv_fields())
        writer.writeheader()
        writer.writerows(r.as_dict() for r in result.records)
    if html_report:
        paths["html"] = out_dir / "report.html"
        paths["html"].write_text(render_html(result, out_dir / "charts" if png else None), encoding="utf-8")
    return paths


# ---------------------------------------------------------------- terminal


def _ms(value: float | None) -> str:
    """Seconds as milliseconds (one decimal below 10 ms, where whole milliseconds would read 0)."""
    if value is None:
        return "-"
    return f"{value * 1000:.1f}" if value < 0.01 else f"{value * 1000:.0f}"


def summary_table(summaries: Sequence[Summary]) -> str:
    """Fixed-width table of per-stage (and overall) metrics for the terminal."""
    header = (
        "stage",
        "users",
        "reqs",
        "req/s",
        "err%",
        "429",
        "TTFT p50/p99 ms",
        "ITL p50 ms",
        "E2E p50/p99 ms",
        "tok/s",
        "tok/s/req p50",
    )
    rows = [header]
    for s in summaries:
        tps = s.tokens_per_s_per_request.get("p50")
        rows.append(
            (
                s.name,
                str(s.users),
                str(s.requests),
                f"{s.requests_per_s:.2f}",
                f"{s.error_rate * 100:.1f}",
                str(s.throttled),
                f"{_ms(s.ttft_s.get('p50'))}/{_ms(s.ttft_s.get('p99'))}",
                _ms(s.itl_s.get("p50")),
                f"{_ms(s.e2e_s.get('p50'))}/{_ms(s.e2e_s.get('p99'))}",
                f"{s.output_tokens_per_s:.1f}",
                "-" if tps is None else f"{tps:.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------- charts

COLORS = {"p50": "#1f77b4", "p90": "#ff7f0e", "p99": "#d62728", "ok": "#2ca02c", "throttled": "#ff7f0e"}


def _figure(width: float = 9.0, height: float = 3.6) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.grid": True, "grid.alpha": 0.3})
    return plt.figure(figsize=(width, height))


def _svg(fig: Any, png: Path | None = None) -> str:
    """The figure as an inline ``<svg>`` element (and as a PNG file when ``png`` is given); closes it."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    if png is not None:
        fig.savefig(png, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _legend(*axes: Any) -> None:
    """One legend for twin axes, below the plot (never over the data)."""
    handles: list[Any] = []
    for axis in axes:
        handles += axis.get_legend_handles_labels()[0]
    if handles:
        axes[0].legend(
            handles,
            [h.get_label() for h in handles],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            ncol=min(len(handles), 5),
            fontsize=8,
            frameon=False,
        )


def _headroom(axis: Any, values: Sequence[float], factor: float = 1.15) -> None:
    """y from 0 to a little above the largest value."""
    top = max([v for v in values if v == v] or [0.0])
    axis.set_ylim(0, top * factor if top > 0 else 1.0)


def _rolling(values: Sequence[float], window: int) -> list[float]:
    """Centred moving average (window in buckets)."""
    if window <= 1:
        return list(values)
    half = window // 2
    out = []
    for i in range(len(values)):
        part = values[max(0, i - half) : i + half + 1]
        out.append(sum(part) / len(part))
    return out


def _stage_labels(stages: Sequence[Stage]) -> list[str]:
    step_like = all(s.name.startswith("step-") for s in stages)
    return [str(s.users) if step_like else f"{s.name}\n({s.users})" for s in stages]


def _scaling_marks(ax: Any, auto: AutoscalingData | None, *, label: bool = True) -> None:
    if not auto:
        return
    first = True
    for event in auto.events:
        color = {"activity": "#9467bd", "copy_count": "#e377c2"}.get(event.source, "#8c564b")
        ax.axvline(
            event.t,
            color=color,
            linestyle="--",
            linewidth=1.2,
            label=("scaling" if first and label else None),
        )
        first = False


def _stage_bounds(ax: Any, stages: Sequence[Stage]) -> None:
    clock = StageClock(stages)
    for start in clock.starts[1:]:
        ax.axvline(start, color="#999999", linestyle=":", linewidth=0.8)


def _users_schedule(stages: Sequence[Stage]) -> tuple[list[float], list[int]]:
    clock = StageClock(stages)
    xs: list[float] = []
    ys: list[int] = []
    for start, stage in zip(clock.starts, stages, strict=True):
        xs += [start, start + stage.duration_s]
        ys += [stage.users, stage.users]
    return xs, ys


def chart_latency(result: RunResult, summaries: Sequence[Summary]) -> Any:
    """TTFT, ITL and E2E p50/p90/p99 per stage (x: concurrency)."""
    fig = _figure(10, 3.4)
    labels = _stage_labels(result.stages)
    xs = list(range(len(summaries)))
    for i, (key, title) in enumerate(
        (("ttft_s", "Time to first token"), ("itl_s", "Inter-token latency"), ("e2e_s", "End-to-end latency"))
    ):
        ax = fig.add_subplot(1, 3, i + 1)
        for p in ("p50", "p90", "p99"):
            values = [getattr(s, key).get(p) for s in summaries]
            ys = [v * 1000 if v is not None else float("nan") for v in values]
            ax.plot(xs, ys, marker="o", color=COLORS[p], label=p)
        ax.set_title(title)
        ax.set_xticks(xs, labels)
        ax.set_xlabel("concurrent users")
        ax.set_ylabel("ms")
        ax.set_ylim(bottom=0)
        if i == 0:
            ax.legend()
    return fig


def chart_throughput(result: RunResult, summaries: Sequence[Summary]) -> Any:
    """Aggregate output tokens/s (bars) and requests/s (line) per stage."""
    fig = _figure(9, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    xs = list(range(len(summaries)))
    ax.bar(xs, [s.output_tokens_per_s for s in summaries], color="#1f77b4", alpha=0.75, label="output tokens/s")
    ax.set_ylabel("output tokens/s (aggregate)")
    ax.set_xticks(xs, _stage_labels(result.stages))
    ax.set_xlabel("concurrent users")
    ax2 = ax.twinx()
    ax2.plot(xs, [s.requests_per_s for s in summaries], color="#d62728", marker="o", label="requests/s")
    ax2.set_ylabel("requests/s")
    _headroom(ax, [s.output_tokens_per_s for s in summaries])
    _headroom(ax2, [s.requests_per_s for s in summaries])
    ax2.grid(False)
    _legend(ax, ax2)
    ax.set_title("Throughput vs concurrency")
    return fig


def chart_ttft_distribution(result: RunResult) -> Any:
    """Histogram of TTFT of successful requests, one outline per stage (up to 8, else all together)."""
    fig = _figure(9, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    ok = [r for r in result.records if r.outcome == "ok" and r.ttft_s is not None]
    values = [r.ttft_s * 1000 for r in ok if r.ttft_s is not None]
    if values:
        top = max(values)
        bins = [top * i / 40 for i in range(41)] if top > 0 else 10
        if 1 < len(result.stages) <= 8:
            for i, stage in enumerate(result.stages):
                stage_values = [r.ttft_s * 1000 for r in ok if r.stage == i and r.ttft_s is not None]
                if stage_values:
                    label = f"{stage.name} ({stage.users})"
                    ax.hist(stage_values, bins=bins, histtype="step", linewidth=1.5, label=label)
            ax.legend(fontsize=7)
        else:
            ax.hist(values, bins=bins, color="#1f77b4", alpha=0.8)
    else:
        ax.text(0.5, 0.5, "no successful request", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("time to first token (ms)")
    ax.set_ylabel("requests")
    ax.set_title("TTFT distribution")
    return fig


def chart_errors_over_time(result: RunResult, buckets: Sequence[TimeBucket]) -> Any:
    """Throttled (429) and failed requests per second over time, with the concurrency schedule."""
    fig = _figure(9, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    ts = [b.t for b in buckets]
    width = buckets[0].width if buckets else 1.0
    errors = [b.errors / b.width for b in buckets]
    throttled = [b.throttled / b.width for b in buckets]
    ax.bar(ts, errors, width=width, align="edge", color="#d62728", label="errors/s (non-429)")
    ax.bar(ts, throttled, width=width, align="edge", bottom=errors, color=COLORS["throttled"], label="429/s")
    ax.set_ylabel("failed requests/s")
    ax.set_xlabel("seconds since start")
    _stage_bounds(ax, result.stages)
    _scaling_marks(ax, result.autoscaling)
    ax2 = ax.twinx()
    schedule = _users_schedule(result.stages)
    ax2.plot(*schedule, color="#555555", linewidth=1, label="users")
    ax2.set_ylabel("concurrent users")
    _headroom(ax2, [float(u) for u in schedule[1]], 1.3)
    ax2.grid(False)
    _legend(ax, ax2)
    ax.set_title("Errors over time" + ("" if any(errors) or any(throttled) else " (none)"))
    ax.set_ylim(bottom=0, top=max([*[e + t for e, t in zip(errors, throttled, strict=True)], 1.0]) * 1.15)
    return fig


def chart_timeline(result: RunResult, buckets: Sequence[TimeBucket]) -> Any:
    """Completed requests/s and output tokens/s over time, with the concurrency (and instance count) schedule."""
    fig = _figure(9, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    mids = [b.t + b.width / 2 for b in buckets]
    window = max(1, round(5.0 / buckets[0].width)) if buckets else 1
    smooth = f" ({window * buckets[0].width:.0f} s mean)" if window > 1 else ""
    tokens = _rolling([b.output_tokens_per_s for b in buckets], window)
    rps = _rolling([b.requests_per_s for b in buckets], window)
    ax.plot(mids, tokens, color="#1f77b4", label=f"output tokens/s{smooth}")
    ax.set_ylabel("output tokens/s")
    ax.set_xlabel("seconds since start")
    _headroom(ax, tokens)
    _stage_bounds(ax, result.stages)
    _scaling_marks(ax, result.autoscaling)
    ax2 = ax.twinx()
    ax2.plot(*_users_schedule(result.stages), color="#555555", linewidth=1, label="users")
    ax2.plot(mids, rps, color="#d62728", linewidth=1, label=f"requests/s{smooth}")
    if result.autoscaling:
        _count_steps(ax2, result.autoscaling, "current", "#9467bd", "instances")
    ax2.set_ylabel("users / requests/s / instances")
    _headroom(ax2, [*rps, *[float(u) for u in _users_schedule(result.stages)[1]]], 1.3)
    ax2.grid(False)
    _legend(ax, ax2)
    ax.set_title("Load and throughput over time")
    return fig


def _count_steps(ax: Any, auto: AutoscalingData, count: str, color: str, label: str) -> None:
    """Step line of one sampled count (``current`` instances or ``copies_current``) where it was observed."""
    pts = [(s.t, getattr(s, count)) for s in auto.samples if getattr(s, count) is not None]
    if pts:
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", color=color, linewidth=2, label=label)


def chart_autoscaling(result: RunResult) -> Any:
    """Instance count, InvocationsPerInstance and utilisation from CloudWatch, with scaling events."""
    auto = result.autoscaling
    assert auto is not None
    fig = _figure(9, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    for key, color, label in (
        ("invocations_per_instance", "#1f77b4", "InvocationsPerInstance (per min)"),
        ("invocations_per_copy", "#1f77b4", "InvocationsPerCopy (per min)"),
        ("invocations", "#17becf", "Invocations (per min)"),
        ("no_capacity_failures", "#d62728", "NoCapacityInvocationFailures (per min)"),
    ):
        pts = auto.metrics.get(key) or []
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=".", color=color, label=label)
    ax.set_ylabel("invocations / minute")
    ax.set_xlabel("seconds since start")
    ax.set_ylim(bottom=0)
    _stage_bounds(ax, result.stages)
    _scaling_marks(ax, auto)
    ax2 = ax.twinx()
    _count_steps(ax2, auto, "current", "#9467bd", "instances (DescribeEndpoint)")
    _count_steps(ax2, auto, "copies_current", "#e377c2", "model copies")
    ax2.plot(*_users_schedule(result.stages), color="#555555", linewidth=1, label="users")
    ax2.set_ylabel("instances / copies / users")
    ax2.set_ylim(bottom=0)
    ax2.grid(False)
    _legend(ax, ax2)
    scope = auto.inference_component or auto.variant
    ax.set_title(f"Autoscaling of {auto.endpoint}/{scope}")
    return fig


# ---------------------------------------------------------------- HTML

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:0.85em;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}.chart svg{max-width:100%;height:auto}
.bad{color:#b00020;font-weight:bold}.note{color:#555;font-size:0.9em}code{background:#f4f4f4;padding:0 3px}
"""

HOW_TO_READ = """
<ul>
<li><b>Latency vs concurrency</b>: p50/p90/p99 per stage. TTFT growing with users while ITL stays flat means requests
queue before generation starts (the server admits fewer concurrent generations than users); ITL growing means
generations share the accelerator/CPU (batching or contention).</li>
<li><b>Throughput vs concurrency</b>: aggregate output tokens/s per stage. Where the bars stop growing while latency
keeps growing, the backend is saturated: that level is the useful concurrency per instance (size throttles and
autoscaling targets below it).</li>
<li><b>TTFT distribution</b>: a second mode far to the right is queueing (or cold starts / scaling).</li>
<li><b>Errors over time</b>: 429s (throttling: API Gateway usage plan, WAF, or the backend) are drawn apart from other
errors; dotted lines are stage boundaries, dashed lines scaling events.</li>
<li><b>Load and throughput over time</b>: output tokens/s and requests/s (moving means) under the users schedule (and,
in autoscaling mode, the instance count): warm-up, drift over an endurance run, the effect of a scale-out.</li>
</ul>
"""


def _fmt(value: Any, ms: bool = False) -> str:
    if value is None:
        return "-"
    if ms:
        return _ms(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return html.escape(str(value))


def _summary_rows(summaries: Sequence[Summary]) -> str:
    head = (
        "<tr><th>stage</th><th>users</th><th>requests</th><th>ok</th><th>429</th><th>errors</th><th>error %</th>"
        "<th>req/s</th><th>out tok/s</th><th>TTFT p50/p90/p99 ms</th><th>ITL p50/p90/p99 ms</th>"
        "<th>E2E p50/p90/p99 ms</th><th>tok/s per req p50</th><th>errors by status</th></tr>"
    )
    rows = [head]
    for s in summaries:

        def trio(d: dict[str, float | None]) -> str:
            return "/".join(_fmt(d.get(p), ms=True) for p in ("p50", "p90", "p99"))

        cls = ' class="bad"' if s.errors else ""
        rows.append(
            f"<tr><td>{html.escape(s.name)}</td><td>{s.users}</td><td>{s.requests}</td><td>{s.ok}</td>"
            f"<td>{s.throttled}</td><td{cls}>{s.errors}</td><td>{s.error_rate * 100:.1f}</td>"
            f"<td>{s.requests_per_s:.2f}</td><td>{s.output_tokens_per_s:.1f}</td><td>{trio(s.ttft_s)}</td>"
            f"<td>{trio(s.itl_s)}</td><td>{trio(s.e2e_s)}</td>"
            f"<td>{_fmt(s.tokens_per_s_per_request.get('p50'))}</td>"
            f"<td>{html.escape(', '.join(f'{k}: {v}' for k, v in s.errors_by_status.items()) or '-')}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def render_html(result: RunResult, png_dir: Path | None = None) -> str:
    """The self-contained HTML report (``png_dir``: also write each chart there as ``<name>.png``)."""
    summaries = result.stage_summaries()
    overall = result.overall()
    buckets = result.timeline()
    figures: list[tuple[str, str, Any]] = [
        ("latency", "Latency percentiles vs concurrency", chart_latency(result, summaries)),
        ("throughput", "Throughput vs concurrency", chart_throughput(result, summaries)),
        ("ttft", "TTFT distribution", chart_ttft_distribution(result)),
        ("errors", "Errors over time", chart_errors_over_time(result, buckets)),
        ("timeline", "Load and throughput over time", chart_timeline(result, buckets)),
    ]
    if result.autoscaling:
        figures.append(("autoscaling", "Autoscaling", chart_autoscaling(result)))
    if png_dir is not None:
        png_dir.mkdir(parents=True, exist_ok=True)
    charts = [
        (anchor, title, _svg(fig, png_dir / f"{anchor}.png" if png_dir is not None else None))
        for anchor, title, fig in figures
    ]
    cfg = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td style='text-align:left'>{html.escape(str(v))}</td></tr>"
        for k, v in result.config.items()
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Load test {html.escape(str(result.config.get('profile', '')))} - {html.escape(result.started_at)}"
        "</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Load test: {html.escape(str(result.config.get('profile', '')))} profile against "
        f"<code>{html.escape(str(result.config.get('target', '')))}</code></h1>",
        f"<p>Started {html.escape(result.started_at)}, ran {result.duration_s:.0f} s, {overall.requests} requests: "
        f"{overall.ok} ok, {overall.throttled} throttled (429), "
        f"<span class='{'bad' if overall.errors else ''}'>{overall.errors} errors</span>. "
        f"Output tokens counted from: {html.escape(overall.token_source or '-')}.</p>",
        "<h2>Summary per stage</h2>",
        _summary_rows([*summaries, overall]),
        "<p class='note'>Latencies over successful requests; a request belongs to the stage it started in; "
        "error % excludes 429s (counted apart).</p>",
    ]
    for anchor, title, svg in charts:
        parts.append(f"<h2 id='{anchor}'>{html.escape(title)}</h2><div class='chart' data-chart='{anchor}'>{svg}</div>")
    if result.autoscaling:
        auto = result.autoscaling
        rows = (
            "".join(
                f"<tr><td>{e.t:.0f}</td><td>{html.escape(e.source)}</td><td style='text-align:left'>"
                f"{html.escape(e.description)}</td><td>{html.escape(e.status)}</td></tr>"
                for e in auto.events
            )
            or "<tr><td colspan='4'>no scaling during the run</td></tr>"
        )
        parts.append(
            "<h2>Scaling events</h2><table><tr><th>t (s)</th><th>source</th><th>description</th><th>status</th></tr>"
            f"{rows}</table>"
        )
        if auto.notes:
            parts.append("<ul class='note'>" + "".join(f"<li>{html.escape(n)}</li>" for n in auto.notes) + "</ul>")
    if result.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>")
    parts += [
        "<h2>How to read the charts</h2>",
        HOW_TO_READ,
        "<h2>Configuration</h2>",
        f"<table>{cfg}</table>",
        "</body></html>",
    ]
    return "\n".join(parts)
