"""Locust, headless, as a library: one closed-loop user class streaming ``POST /chat/completions``, a
``LoadTestShape`` replaying the profile's stages, progress lines while it runs.

Importing this module imports Locust, which monkey-patches the standard library with gevent: only the CLI process
imports it (tests run the CLI in a subprocess).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import gevent
import gevent.event
import requests
from locust import User, constant, task
from locust.env import Environment
from locust.shape import LoadTestShape

from loadtest.auth import Auth, NoAuth
from loadtest.autoscaling import AutoscalingObserver
from loadtest.metrics import OK, THROTTLED, RequestRecord, make_record
from loadtest.profiles import Stage, StageClock
from loadtest.prompts import Prompt, PromptPicker
from loadtest.report import RunResult
from loadtest.sse import StreamOutcome, consume_stream


@dataclass
class RunConfig:
    """What to run (secrets live in ``auth`` only and never reach the report)."""

    target: str
    stages: list[Stage]
    prompts: list[Prompt]
    model: str
    max_tokens: int = 64
    include_usage: bool = True
    temperature: float | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    auth: Auth = field(default_factory=NoAuth)
    timeout_s: float = 120.0
    think_time_s: float = 0.0
    seed: int = 0
    progress_s: float = 10.0
    autoscaling: AutoscalingObserver | None = None
    autoscaling_poll_s: float = 30.0
    autoscaling_tail_s: float = 120.0
    report_config: dict[str, Any] = field(default_factory=dict)


class Collector:
    """Sends one request for a user and records it; knows the run's clock and stages."""

    def __init__(self, config: RunConfig, clock: StageClock) -> None:
        self.config = config
        self.clock = clock
        self.records: list[RequestRecord] = []
        self.t0 = time.perf_counter()
        self.runner: Any = None
        self._seq = 0
        self.url = config.target.rstrip("/") + "/chat/completions"

    def now(self) -> float:
        """Seconds since the load started."""
        return time.perf_counter() - self.t0

    def _body(self, prompt: Prompt) -> bytes:
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": list(prompt.messages),
            "max_tokens": prompt.max_tokens or self.config.max_tokens,
            "stream": True,
        }
        if self.config.include_usage:
            body["stream_options"] = {"include_usage": True}
        if self.config.temperature is not None:
            body["temperature"] = self.config.temperature
        body.update(self.config.extra_body)
        return json.dumps(body).encode()

    def run_one(self, session: requests.Session, prompt: Prompt, fire: Callable[..., None]) -> RequestRecord:
        """Stream one completion and record it."""
        self._seq += 1
        seq = self._seq
        data = self._body(prompt)
        t_start = self.now()
        stage = self.clock.index_at(t_start)
        stage = len(self.clock.stages) - 1 if stage is None else stage
        users = int(self.runner.user_count) if self.runner is not None else 0
        status, error_key, message = 0, "", ""
        outcome = StreamOutcome()
        try:
            headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
            headers.update(self.config.auth.headers("POST", self.url, data))
            with session.post(
                self.url, data=data, headers=headers, stream=True, timeout=(10.0, self.config.timeout_s)
            ) as response:
                status = response.status_code
                if status != 200:
                    message = response.text[:200]
                else:
                    outcome = consume_stream(response.iter_content(chunk_size=None), self.now)
                    if outcome.error is not None:
                        error_key = "stream_error"
                        message = str(outcome.error.get("message", outcome.error))
                    elif outcome.output_tokens == 0:
                        error_key, message = "empty_stream", "stream ended without content"
        except requests.Timeout as exc:
            error_key, message = "timeout", str(exc)
        except requests.ConnectionError as exc:
            error_key, message = "connection_error", str(exc)
        except Exception as exc:
            error_key, message = "client_exception", f"{type(exc).__name__}: {exc}"
        t_end = self.now()
        record = make_record(
            seq=seq,
            stage=stage,
            users=users,
            prompt_set=prompt.set,
            t_start=t_start,
            t_end=t_end,
            status=status,
            error_key=error_key,
            error_message=message,
            first_token_t=outcome.token_times[0] if outcome.token_times else None,
            output_tokens=outcome.output_tokens,
            token_source=outcome.token_source,
            content_chunks=outcome.content_chunks,
        )
        self.records.append(record)
        fire(
            request_type="POST",
            name="chat/completions",
            response_time=record.e2e_s * 1000,
            response_length=record.output_tokens,
            exception=None if record.outcome == OK else RuntimeError(record.error_key),
            context={},
        )
        return record


class ChatUser(User):
    """A closed-loop virtual user: streams a completion, then (after the think time) the next one."""

    abstract = True
    collector: Collector
    wait_time = constant(0)

    def on_start(self) -> None:
        """One HTTP session (connection pool) per user, and its own prompt picker."""
        self.session = requests.Session()
        self.picker = PromptPicker(self.collector.config.prompts, seed=self.collector.config.seed + id(self) % 10_000)

    def on_stop(self) -> None:
        """Close the session."""
        self.session.close()

    @task
    def chat(self) -> None:
        """One streamed chat completion."""
        self.collector.run_one(self.session, self.picker.next(), self.environment.events.request.fire)


class StagesShape(LoadTestShape):
    """Replays a list of :class:`Stage` objects."""

    def __init__(self, clock: StageClock, collector: Collector) -> None:
        super().__init__()
        self.clock = clock
        self.collector = collector

    def reset_time(self) -> None:
        """Start of the run: the collector's clock starts with the shape's."""
        super().reset_time()
        self.collector.t0 = self.start_time

    def tick(self) -> tuple[int, float] | None:
        """``(users, spawn_rate)`` of the current stage, ``None`` after the last one."""
        return self.clock.tick(self.get_run_time())


def _stage_line(collector: Collector, index: int) -> str:
    stage = collector.clock.stages[index]
    records = [r for r in collector.records if r.stage == index]
    ok = [r for r in records if r.outcome == OK]
    throttled = sum(1 for r in records if r.outcome == THROTTLED)
    errors = len(records) - len(ok) - throttled
    tokens = sum(r.output_tokens for r in ok)
    ttfts = sorted(r.ttft_s for r in ok if r.ttft_s is not None)
    p50 = f"{ttfts[len(ttfts) // 2] * 1000:.0f} ms" if ttfts else "-"
    return (
        f"[{collector.now():7.1f}s] {stage.name} ({stage.users} users) done: {len(records)} requests, "
        f"{len(ok)} ok, {throttled} x 429, {errors} errors, {tokens / stage.duration_s:.1f} output tok/s, "
        f"TTFT p50 {p50}"
    )


def _progress(collector: Collector, out: TextIO, every_s: float, stop: gevent.event.Event) -> None:
    """Per-stage lines when a stage ends, and a running line every ``every_s`` seconds."""
    last_stage = 0
    last_line = 0.0
    while not stop.is_set():
        now = collector.now()
        index = collector.clock.index_at(now)
        current = len(collector.clock.stages) if index is None else index
        while last_stage < current:
            print(_stage_line(collector, last_stage), file=out, flush=True)
            last_stage += 1
        if every_s > 0 and now - last_line >= every_s and index is not None:
            last_line = now
            recent = [r for r in collector.records if r.t_end >= now - every_s]
            ok = [r for r in recent if r.outcome == OK]
            stage = collector.clock.stages[index]
            print(
                f"[{now:7.1f}s] {stage.name}: {collector.runner.user_count if collector.runner else 0} users, "
                f"{len(collector.records)} requests so far, last {every_s:.0f}s: {len(recent) / every_s:.2f} req/s, "
                f"{sum(r.output_tokens for r in ok) / every_s:.1f} tok/s, {len(recent) - len(ok)} failed",
                file=out,
                flush=True,
            )
        stop.wait(0.5)


def _poll(observer: AutoscalingObserver, every_s: float, stop: gevent.event.Event) -> None:
    while not stop.is_set():
        observer.sample()
        stop.wait(every_s)


def run(config: RunConfig, out: TextIO = sys.stderr) -> RunResult:
    """Run the profile and return everything recorded."""
    clock = StageClock(config.stages)
    collector = Collector(config, clock)
    attributes: dict[str, Any] = {"collector": collector, "abstract": False}
    if config.think_time_s > 0:
        attributes["wait_time"] = constant(config.think_time_s)
    user_class = type("ChatCompletionsUser", (ChatUser,), attributes)
    shape = StagesShape(clock, collector)
    env = Environment(
        user_classes=[user_class],
        shape_class=shape,
        host=config.target,
        stop_timeout=config.timeout_s + 10,
    )
    runner = env.create_local_runner()
    collector.runner = runner
    finished = gevent.event.Event()
    env.events.test_stop.add_listener(lambda **_: finished.set())
    started_at = dt.datetime.now(dt.UTC)
    wall0 = time.time()
    if config.autoscaling is not None:
        config.autoscaling.t0 = wall0
    stop_side = gevent.event.Event()
    print(
        f"load test: {len(config.stages)} stage(s), {clock.total_s:.0f} s planned, target {config.target}",
        file=out,
        flush=True,
    )
    runner.start_shape()
    side = [gevent.spawn(_progress, collector, out, config.progress_s, stop_side)]
    if config.autoscaling is not None:
        side.append(gevent.spawn(_poll, config.autoscaling, config.autoscaling_poll_s, stop_side))
    interrupted = False
    try:
        finished.wait()
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: stopping users", file=out, flush=True)
        runner.stop()
    runner.quit()
    duration = collector.now()
    notes: list[str] = []
    if interrupted:
        notes.append(f"interrupted after {duration:.0f} s")
    autoscaling = None
    if config.autoscaling is not None:
        if config.autoscaling_tail_s > 0 and not interrupted:
            print(f"autoscaling: watching {config.autoscaling_tail_s:.0f} s more after the load", file=out, flush=True)
            gevent.sleep(config.autoscaling_tail_s)
        autoscaling = config.autoscaling.collect(wall0, time.time())
    stop_side.set()
    gevent.joinall(side, timeout=5)
    return RunResult(
        config=config.report_config,
        stages=config.stages,
        records=sorted(collector.records, key=lambda r: r.seq),
        started_at=started_at.isoformat(timespec="seconds"),
        duration_s=duration,
        autoscaling=autoscaling,
        notes=notes,
    )


def discover_model(target: str, auth: Auth, timeout_s: float = 10.0) -> str | None:
    """The first model id of ``GET {target}/models``, or ``None`` when it cannot be read."""
    url = target.rstrip("/") + "/models"
    try:
        response = requests.get(url, headers=auth.headers("GET", url, b""), timeout=timeout_s)
        response.raise_for_status()
        data = response.json().get("data") or []
        return str(data[0]["id"]) if data else None
    except (requests.RequestException, ValueError, KeyError, TypeError, IndexError):
        return None
