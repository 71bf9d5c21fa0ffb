"""Per-request records and their per-stage / overall / over-time summaries (pure Python, no Locust).

Definitions (the same as GenAI-Perf's where it has one):

- TTFT: request sent -> first chunk carrying generated text.
- E2E: request sent -> stream finished (``[DONE]``, an error event or the end of the body).
- ITL (inter-token latency): ``(E2E - TTFT) / (output_tokens - 1)`` per request (needs >= 2 tokens).
- Output tokens/s per request: ``output_tokens / E2E``; aggregate output tokens/s of a stage: the output tokens of
  the stage's successful requests / the stage's duration.
- Requests/s of a stage: requests started in the stage that finished / the stage's duration.
- A request belongs to the stage in which it **started**. Errors are keyed by HTTP status (``"500"``), or
  ``stream_error`` / ``connection_error`` / ``timeout`` / ``empty_stream``; 429s are counted apart as throttled and are
  not in ``errors`` (``error_rate`` excludes them, ``throttle_rate`` is theirs).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from loadtest.profiles import Stage

PERCENTILES = (50, 90, 99)

OK = "ok"
THROTTLED = "throttled"
ERROR = "error"


@dataclass
class RequestRecord:
    """One chat completion request as the load generator saw it (times in seconds since the run started)."""

    seq: int
    stage: int
    users: int
    prompt_set: str
    t_start: float
    t_end: float
    status: int
    outcome: str
    error_key: str = ""
    error_message: str = ""
    ttft_s: float | None = None
    e2e_s: float = 0.0
    itl_s: float | None = None
    output_tokens: int = 0
    token_source: str = "chunks"
    content_chunks: int = 0
    tokens_per_s: float | None = None

    @classmethod
    def csv_fields(cls) -> list[str]:
        """Column order of ``requests.csv``."""
        return [f.name for f in fields(cls)]

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON/CSV row)."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> RequestRecord:
        """The record of one ``requests.csv`` row (each column read as its field's type)."""
        return cls(**{f.name: _CSV_READERS[str(f.type)](row[f.name]) for f in fields(cls)})


#: How a ``requests.csv`` cell is read, by the annotation of its :class:`RequestRecord` field.
_CSV_READERS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "float": float,
    "str": str,
    "float | None": lambda value: float(value) if value not in ("", "None") else None,
}


def classify(status: int, error_key: str) -> str:
    """``ok``, ``throttled`` (HTTP 429) or ``error``."""
    if status == 429:
        return THROTTLED
    if error_key or not 200 <= status < 300:
        return ERROR
    return OK


def make_record(
    *,
    seq: int,
    stage: int,
    users: int,
    prompt_set: str,
    t_start: float,
    t_end: float,
    status: int,
    error_key: str = "",
    error_message: str = "",
    first_token_t: float | None = None,
    output_tokens: int = 0,
    token_source: str = "chunks",
    content_chunks: int = 0,
) -> RequestRecord:
    """Build a record from raw clock readings (``t_*`` and ``first_token_t`` on the same clock, run-relative)."""
    if status == 429 and not error_key:
        error_key = "429"
    elif not error_key and not 200 <= status < 300:
        error_key = str(status)
    e2e = max(0.0, t_end - t_start)
    ttft = None if first_token_t is None else max(0.0, first_token_t - t_start)
    itl = None
    if ttft is not None and output_tokens >= 2:
        itl = max(0.0, e2e - ttft) / (output_tokens - 1)
    outcome = classify(status, error_key)
    tps = output_tokens / e2e if outcome == OK and e2e > 0 and output_tokens > 0 else None
    return RequestRecord(
        seq=seq,
        stage=stage,
        users=users,
        prompt_set=prompt_set,
        t_start=t_start,
        t_end=t_end,
        status=status,
        outcome=outcome,
        error_key=error_key,
        error_message=error_message[:200],
        ttft_s=ttft,
        e2e_s=e2e,
        itl_s=itl,
        output_tokens=output_tokens,
        token_source=token_source,
        content_chunks=content_chunks,
        tokens_per_s=tps,
    )


def percentiles(values: Sequence[float], ps: Iterable[int] = PERCENTILES) -> dict[str, float | None]:
    """``{"p50": .., "p90": .., "p99": ..}`` (inclusive linear interpolation; ``None`` without data)."""
    ps = list(ps)
    data = sorted(values)
    if not data:
        return {f"p{p}": None for p in ps}
    if len(data) == 1:
        return {f"p{p}": data[0] for p in ps}
    cuts = statistics.quantiles(data, n=100, method="inclusive")
    return {f"p{p}": cuts[p - 1] for p in ps}


def distribution(values: Sequence[float]) -> dict[str, float | None]:
    """Mean, min, max and the standard percentiles of ``values``."""
    out: dict[str, float | None] = {
        "mean": statistics.fmean(values) if values else None,
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }
    out.update(percentiles(values))
    return out


@dataclass
class Summary:
    """Metrics of a set of requests over a window of ``duration_s`` seconds."""

    name: str
    users: int
    duration_s: float
    requests: int = 0
    ok: int = 0
    throttled: int = 0
    errors: int = 0
    errors_by_status: dict[str, int] = field(default_factory=dict)
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    requests_per_s: float = 0.0
    output_tokens: int = 0
    output_tokens_per_s: float = 0.0
    ttft_s: dict[str, float | None] = field(default_factory=dict)
    itl_s: dict[str, float | None] = field(default_factory=dict)
    e2e_s: dict[str, float | None] = field(default_factory=dict)
    tokens_per_s_per_request: dict[str, float | None] = field(default_factory=dict)
    token_source: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON)."""
        return asdict(self)

    def flat(self) -> dict[str, Any]:
        """One flat row (``steps.csv``)."""
        row: dict[str, Any] = {}
        for key, value in self.as_dict().items():
            if isinstance(value, dict) and key != "errors_by_status":
                for sub, v in value.items():
                    row[f"{key.removesuffix('_s')}_{sub}{'_s' if key.endswith('_s') else ''}"] = v
            elif key == "errors_by_status":
                row[key] = ";".join(f"{k}={v}" for k, v in sorted(value.items()))
            else:
                row[key] = value
        return row


def summarize(records: Sequence[RequestRecord], *, name: str, users: int, duration_s: float) -> Summary:
    """Summary of ``records`` over a window of ``duration_s`` seconds at ``users`` concurrency."""
    ok = [r for r in records if r.outcome == OK]
    statuses = Counter(r.error_key for r in records if r.outcome == ERROR)
    throttled = sum(1 for r in records if r.outcome == THROTTLED)
    n = len(records)
    tokens = sum(r.output_tokens for r in ok)
    sources = {r.token_source for r in ok}
    return Summary(
        name=name,
        users=users,
        duration_s=duration_s,
        requests=n,
        ok=len(ok),
        throttled=throttled,
        errors=sum(statuses.values()),
        errors_by_status=dict(sorted(statuses.items())),
        error_rate=sum(statuses.values()) / n if n else 0.0,
        throttle_rate=throttled / n if n else 0.0,
        requests_per_s=n / duration_s if duration_s > 0 else 0.0,
        output_tokens=tokens,
        output_tokens_per_s=tokens / duration_s if duration_s > 0 else 0.0,
        ttft_s=distribution([r.ttft_s for r in ok if r.ttft_s is not None]),
        itl_s=distribution([r.itl_s for r in ok if r.itl_s is not None]),
        e2e_s=distribution([r.e2e_s for r in ok]),
        tokens_per_s_per_request=distribution([r.tokens_per_s for r in ok if r.tokens_per_s is not None]),
        token_source="+".join(sorted(sources)),
    )


def summarize_stages(records: Sequence[RequestRecord], stages: Sequence[Stage]) -> list[Summary]:
    """One summary per stage (requests attributed to the stage they started in)."""
    by_stage: dict[int, list[RequestRecord]] = {}
    for record in records:
        by_stage.setdefault(record.stage, []).append(record)
    return [
        summarize(by_stage.get(i, []), name=stage.name, users=stage.users, duration_s=stage.duration_s)
        for i, stage in enumerate(stages)
    ]


def summarize_overall(records: Sequence[RequestRecord], duration_s: float) -> Summary:
    """Summary of the whole run (``users``: the peak concurrency seen)."""
    peak = max((r.users for r in records), default=0)
    return summarize(records, name="overall", users=peak, duration_s=duration_s)


@dataclass
class TimeBucket:
    """Requests that finished in ``[t, t + width)``: counts by outcome and error key, tokens, concurrency."""

    t: float
    width: float
    users: int = 0
    ok: int = 0
    throttled: int = 0
    errors: int = 0
    errors_by_status: dict[str, int] = field(default_factory=dict)
    output_tokens: int = 0

    @property
    def requests_per_s(self) -> float:
        """Finished requests per second in the bucket."""
        return (self.ok + self.throttled + self.errors) / self.width

    @property
    def output_tokens_per_s(self) -> float:
        """Output tokens of successful requests per second in the bucket."""
        return self.output_tokens / self.width


def timeline(records: Sequence[RequestRecord], total_s: float, buckets: int = 60) -> list[TimeBucket]:
    """Requests over time (by finish time) in about ``buckets`` buckets of at least one second."""
    end = max([total_s, *[r.t_end for r in records]]) if records else total_s
    width = max(1.0, end / buckets)
    count = max(1, int(end // width) + 1)
    out = [TimeBucket(t=i * width, width=width) for i in range(count)]
    for record in records:
        bucket = out[min(count - 1, max(0, int(record.t_end // width)))]
        if record.outcome == OK:
            bucket.ok += 1
            bucket.output_tokens += record.output_tokens
        elif record.outcome == THROTTLED:
            bucket.throttled += 1
        else:
            bucket.errors += 1
            bucket.errors_by_status[record.error_key] = bucket.errors_by_status.get(record.error_key, 0) + 1
        bucket.users = max(bucket.users, record.users)
    return out
