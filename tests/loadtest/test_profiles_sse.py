"""Load profiles (stages and the shape's tick) and SSE stream parsing."""

from __future__ import annotations

import itertools
import json

import pytest

from loadtest.profiles import ProfileSpec, Stage, StageClock, build_profile
from loadtest.sse import SSELineSplitter, consume_stream, iter_events


def test_step_profile_counts_one_to_n_in_fixed_steps() -> None:
    stages = build_profile("step", ProfileSpec(users=5, step_s=30, step_users=2))
    assert [(s.users, s.duration_s) for s in stages] == [(1, 30), (3, 30), (5, 30)]
    explicit = build_profile("step", ProfileSpec(levels=[1, 2, 4, 8], step_s=10))
    assert [s.users for s in explicit] == [1, 2, 4, 8]
    assert [s.name for s in explicit] == ["step-1", "step-2", "step-3", "step-4"]


def test_smoke_spike_endurance_defaults_and_overrides() -> None:
    assert build_profile("smoke") == [Stage("smoke", 2, 30.0, 2.0)]
    assert build_profile("smoke", ProfileSpec(duration_s=4, users=3))[0].duration_s == 4
    spike = build_profile("spike", ProfileSpec(users=20, step_s=15, baseline_users=2))
    assert [(s.name, s.users) for s in spike] == [("baseline", 2), ("spike", 20), ("recovery", 2)]
    assert spike[1].spawn_rate == 20  # the jump happens at once
    assert build_profile("endurance")[0].duration_s == 3600


@pytest.mark.parametrize(
    ("profile", "spec", "message"),
    [
        ("ramp", ProfileSpec(), "allowed: smoke"),
        ("step", ProfileSpec(users=0), "users=0"),
        ("step", ProfileSpec(levels=[1, 0]), "levels"),
        ("spike", ProfileSpec(users=4, baseline_users=5), "baseline_users"),
        ("smoke", ProfileSpec(duration_s=0), "duration_s"),
    ],
)
def test_bad_profiles_name_what_is_allowed(profile: str, spec: ProfileSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_profile(profile, spec)


def test_stage_clock_maps_time_to_stage_and_ends() -> None:
    clock = StageClock(build_profile("step", ProfileSpec(levels=[1, 3], step_s=10)))
    assert clock.total_s == 20
    assert [clock.index_at(t) for t in (0, 9.99, 10, 19.9, 20, 25)] == [0, 0, 1, 1, None, None]
    assert clock.tick(5) == (1, 1.0)
    assert clock.tick(15) == (3, 3.0)
    assert clock.tick(20) is None


def _sse(*payloads: object) -> bytes:
    return b"".join(f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads)


def _chunk(text: str | None = None, usage: int | None = None, finish: str | None = None) -> dict[str, object]:
    choices = (
        [] if usage is not None else [{"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}]
    )
    body: dict[str, object] = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": choices}
    if usage is not None:
        body["usage"] = {"prompt_tokens": 7, "completion_tokens": usage, "total_tokens": 7 + usage}
    return body


def test_splitter_handles_crlf_split_across_chunks() -> None:
    splitter = SSELineSplitter()
    assert splitter.feed(b"data: a\r") == []
    assert splitter.feed(b"\ndata: b\r\n\r\n") == ["data: a", "data: b", ""]
    assert splitter.feed(b"tail") == []
    assert splitter.flush() == ["tail"]


def test_events_join_multiline_data_and_skip_comments() -> None:
    events = list(iter_events([b": keep-alive\n\nevent: x\ndata: line1\ndata: line2\n\n", b"data: last"]))
    assert [(e.event, e.data) for e in events] == [("x", "line1\nline2"), ("message", "last")]


def test_stream_times_content_chunks_and_prefers_usage_tokens() -> None:
    body = _sse(_chunk(""), _chunk("Hel"), _chunk("lo"), _chunk(finish="stop"), _chunk(usage=5), "[DONE]")
    ticks = itertools.count(1.0)
    # one byte at a time: every parse boundary is exercised, and each chunk read advances the clock
    outcome = consume_stream((body[i : i + 1] for i in range(len(body))), lambda: next(ticks))
    assert outcome.done and outcome.error is None
    assert outcome.content_chunks == 2
    assert outcome.token_times[0] < outcome.token_times[1]
    assert outcome.output_tokens == 5 and outcome.token_source == "usage"
    assert outcome.finish_reason == "stop" and outcome.prompt_tokens == 7


def test_stream_without_usage_counts_chunks_and_stops_at_error_event() -> None:
    body = _sse(_chunk("a"), _chunk("b"), _chunk("c"), "[DONE]")
    outcome = consume_stream([body], lambda: 0.0)
    assert (outcome.output_tokens, outcome.token_source) == (3, "chunks")
    failed = consume_stream(
        [_sse(_chunk("a"), {"error": {"message": "boom", "type": "server_error"}}, _chunk("b"))], lambda: 0.0
    )
    assert failed.error == {"message": "boom", "type": "server_error"}
    assert failed.content_chunks == 1 and not failed.done


def test_stream_counts_garbage_events_and_survives_a_missing_done() -> None:
    outcome = consume_stream([b"data: {not json\n\n", b"data: [1]\n\n", _sse(_chunk("x"))], lambda: 0.0)
    assert outcome.bad_events == 2 and outcome.content_chunks == 1 and not outcome.done
