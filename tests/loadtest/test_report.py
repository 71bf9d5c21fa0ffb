"""Report files: JSON/CSV for CI, the self-contained HTML with its charts, the terminal table, re-rendering."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from loadtest.autoscaling import AutoscalingData, InstanceSample, ScalingEvent
from loadtest.cli import failure_reasons, main
from loadtest.metrics import make_record
from loadtest.profiles import Stage
from loadtest.report import RunResult, summary_table, write_reports


def _result(autoscaling: AutoscalingData | None = None) -> RunResult:
    stages = [Stage("step-1", 1, 5, 1), Stage("step-2", 2, 5, 2)]
    records = []
    for i in range(12):
        stage = 0 if i < 5 else 1
        t0 = i * 0.8
        if i == 7:
            records.append(
                make_record(seq=i, stage=stage, users=2, prompt_set="short", t_start=t0, t_end=t0 + 0.1, status=429)
            )
        elif i == 9:
            records.append(
                make_record(
                    seq=i,
                    stage=stage,
                    users=2,
                    prompt_set="short",
                    t_start=t0,
                    t_end=t0 + 0.1,
                    status=500,
                    error_message="boom",
                )
            )
        else:
            records.append(
                make_record(
                    seq=i,
                    stage=stage,
                    users=stage + 1,
                    prompt_set="short",
                    t_start=t0,
                    t_end=t0 + 0.7,
                    status=200,
                    first_token_t=t0 + 0.1 * (stage + 1),
                    output_tokens=8,
                    token_source="usage",
                    content_chunks=8,
                )
            )
    return RunResult(
        config={"profile": "step", "target": "http://127.0.0.1:9/v1"},
        stages=stages,
        records=records,
        started_at="2026-12-07T12:00:00+00:00",
        duration_s=10.2,
        autoscaling=autoscaling,
    )


def test_reports_are_written_and_consistent(tmp_path: Path) -> None:
    paths = write_reports(_result(), tmp_path, html_report=False)
    data = json.loads(paths["json"].read_text())
    assert data["overall"]["requests"] == 12
    assert (data["overall"]["ok"], data["overall"]["throttled"], data["overall"]["errors"]) == (10, 1, 1)
    assert data["overall"]["errors_by_status"] == {"500": 1}
    assert [s["requests"] for s in data["steps"]] == [5, 7]
    assert data["steps"][0]["output_tokens"] == 40
    with paths["steps_csv"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["step-1", "step-2", "overall"]
    with paths["requests_csv"].open() as handle:
        assert len(list(csv.DictReader(handle))) == 12
    assert not (tmp_path / "report.html").exists()
    assert failure_reasons(data) == [
        "1 failed requests ({'500': 1})",
        "1 throttled requests (429; --allow-429 to accept)",
    ]
    assert failure_reasons(data, allow_429=True) == ["1 failed requests ({'500': 1})"]


def test_html_is_self_contained_with_every_chart(tmp_path: Path) -> None:
    html = write_reports(_result(), tmp_path)["html"].read_text()
    charts = re.findall(r"<div class='chart' data-chart='(\w+)'><svg", html)
    assert charts == ["latency", "throughput", "ttft", "errors", "timeline"]
    assert "<script" not in html and not re.search(r"(src|href)=['\"]https?:", html)
    assert "Time to first token" in html and "TTFT distribution" in html  # svg text stays text
    assert "500: 1" in html


def test_autoscaling_chart_and_events_table(tmp_path: Path) -> None:
    auto = AutoscalingData(
        endpoint="chat",
        variant="AllTraffic",
        samples=[InstanceSample(0, 1, 1), InstanceSample(6, 2, 2)],
        metrics={"invocations_per_instance": [(0.0, 30.0), (60.0, 90.0)]},
        events=[ScalingEvent(4.0, "activity", "Setting desired instance count to 2.", "Successful")],
    )
    html = write_reports(_result(auto), tmp_path)["html"].read_text()
    assert "data-chart='autoscaling'><svg" in html
    assert "Setting desired instance count to 2." in html


def test_report_command_rerenders_from_files(tmp_path: Path, capsys) -> None:
    original = _result()
    write_reports(original, tmp_path, html_report=False)
    reread = RunResult.from_files(tmp_path / "results.json", tmp_path / "requests.csv")
    assert reread.records == original.records
    assert main(["report", str(tmp_path)]) == 0
    assert (tmp_path / "report.html").exists()
    assert "overall" in capsys.readouterr().out


def test_summary_table_has_a_row_per_stage() -> None:
    result = _result()
    table = summary_table([*result.stage_summaries(), result.overall()]).splitlines()
    assert table[0].split()[:3] == ["stage", "users", "reqs"]
    assert [line.split()[0] for line in table[2:]] == ["step-1", "step-2", "overall"]


def test_sub_millisecond_latencies_do_not_print_as_zero() -> None:
    from loadtest.report import _ms

    assert (_ms(0.0004), _ms(0.0123), _ms(None)) == ("0.4", "12", "-")
