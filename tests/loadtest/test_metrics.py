"""Per-request metrics, per-stage summaries, percentiles, the timeline."""

from __future__ import annotations

import pytest

from loadtest.metrics import make_record, percentiles, summarize_overall, summarize_stages, timeline
from loadtest.profiles import Stage


def _ok(seq: int, stage: int, t0: float, *, ttft: float = 0.5, e2e: float = 2.0, tokens: int = 11):
    return make_record(
        seq=seq,
        stage=stage,
        users=stage + 1,
        prompt_set="short",
        t_start=t0,
        t_end=t0 + e2e,
        status=200,
        first_token_t=t0 + ttft,
        output_tokens=tokens,
        token_source="usage",
        content_chunks=tokens,
    )


def test_record_derives_ttft_itl_and_tokens_per_second() -> None:
    record = _ok(1, 0, 10.0, ttft=0.5, e2e=2.5, tokens=11)
    assert record.outcome == "ok" and record.error_key == ""
    assert record.ttft_s == pytest.approx(0.5)
    assert record.e2e_s == pytest.approx(2.5)
    assert record.itl_s == pytest.approx(0.2)  # (2.5 - 0.5) / (11 - 1)
    assert record.tokens_per_s == pytest.approx(11 / 2.5)
    single = _ok(2, 0, 0.0, tokens=1)
    assert single.itl_s is None


@pytest.mark.parametrize(
    ("status", "error_key", "outcome", "key"),
    [
        (429, "", "throttled", "429"),
        (500, "", "error", "500"),
        (503, "", "error", "503"),
        (200, "stream_error", "error", "stream_error"),
        (0, "connection_error", "error", "connection_error"),
    ],
)
def test_record_classifies_failures_with_429_apart(status: int, error_key: str, outcome: str, key: str) -> None:
    record = make_record(
        seq=1, stage=0, users=1, prompt_set="s", t_start=0, t_end=1, status=status, error_key=error_key
    )
    assert (record.outcome, record.error_key) == (outcome, key)
    assert record.tokens_per_s is None


def test_percentiles_interpolate_and_handle_small_samples() -> None:
    assert percentiles(list(range(1, 102))) == {"p50": 51, "p90": 91, "p99": 100}
    assert percentiles([4.0]) == {"p50": 4.0, "p90": 4.0, "p99": 4.0}
    assert percentiles([]) == {"p50": None, "p90": None, "p99": None}


def test_stage_summaries_count_statuses_tokens_and_rates() -> None:
    stages = [Stage("step-1", 1, 10, 1), Stage("step-2", 2, 10, 2)]
    records = [
        _ok(1, 0, 0.0, tokens=10),
        _ok(2, 0, 2.0, tokens=20),
        _ok(3, 1, 10.0, tokens=30),
        make_record(seq=4, stage=1, users=2, prompt_set="s", t_start=11, t_end=11.1, status=429),
        make_record(seq=5, stage=1, users=2, prompt_set="s", t_start=12, t_end=12.1, status=500),
        make_record(
            seq=6,
            stage=1,
            users=2,
            prompt_set="s",
            t_start=13,
            t_end=14,
            status=200,
            error_key="stream_error",
            first_token_t=13.2,
            output_tokens=3,
        ),
    ]
    first, second = summarize_stages(records, stages)
    assert (first.requests, first.ok, first.errors, first.throttled) == (2, 2, 0, 0)
    assert first.output_tokens == 30 and first.output_tokens_per_s == pytest.approx(3.0)
    assert first.requests_per_s == pytest.approx(0.2)
    assert (second.requests, second.ok, second.throttled, second.errors) == (4, 1, 1, 2)
    assert second.errors_by_status == {"500": 1, "stream_error": 1}
    assert second.error_rate == pytest.approx(0.5) and second.throttle_rate == pytest.approx(0.25)
    assert second.output_tokens == 30  # the failed stream's partial tokens are not throughput
    overall = summarize_overall(records, 20)
    assert (overall.requests, overall.users, overall.token_source) == (6, 2, "usage")
    flat = second.flat()
    assert flat["ttft_p50_s"] == pytest.approx(0.5) and flat["errors_by_status"] == "500=1;stream_error=1"


def test_timeline_buckets_by_finish_time() -> None:
    records = [
        _ok(1, 0, 0.0, e2e=1.5, tokens=4),
        make_record(seq=2, stage=0, users=1, prompt_set="s", t_start=2.0, t_end=2.2, status=429),
        make_record(seq=3, stage=0, users=1, prompt_set="s", t_start=2.5, t_end=3.5, status=502),
    ]
    buckets = timeline(records, total_s=4, buckets=4)
    assert [b.t for b in buckets] == [0, 1, 2, 3, 4]
    assert (buckets[1].ok, buckets[1].output_tokens) == (1, 4)
    assert buckets[2].throttled == 1
    assert buckets[3].errors_by_status == {"502": 1}
