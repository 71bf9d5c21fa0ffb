"""Feedback-based filtering of interaction records: net rating per ``request_id`` from the front door's feedback.

The front door stores one feedback record per file under ``feedback/dt=YYYY-MM-DD/<request_id>-<uuid>.json``:
``{"type": "feedback", "request_id": ..., "rating": -1 | 0 | 1, "comment": ..., ...}`` (compact JSON, one
object per file). Ratings are normalised (``"up"`` = 1, ``"down"`` = -1, integers -1..1 as they are) and
summed per ``request_id`` (the *net rating*: one up and one down cancel out). Interaction records whose net
rating is below ``min_rating`` are quarantined by the transform with reason ``negative_feedback``; a request
without feedback is neutral and passes.

Malformed feedback (unparseable file or line, not an object, ``type`` other than ``feedback``, missing or
non-string ``request_id``, rating not one of the values above) is counted and skipped: it never fails the job
and never touches the interaction records' count invariant (feedback is a side input, not a record of the run).

The pure-Python parts (:func:`normalize_rating`, :func:`parse_feedback_text`, :func:`aggregate_ratings`) are
unit-tested without Spark; :func:`load_feedback` parses and aggregates in Spark and brings only the excluded
request ids (and three counters) back to the driver.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

RATING_WORDS: Mapping[str, int] = {"up": 1, "down": -1}
MIN_RATING, MAX_RATING = -1, 1
FEEDBACK_TYPE = "feedback"

FEEDBACK_SCHEMA = "request_id string, rating long, malformed long"


def normalize_rating(value: Any) -> int | None:
    """``"up"`` -> 1, ``"down"`` -> -1 (case-insensitive), integers -1..1 (also ``1.0``) as they are; else ``None``.

    Booleans, other strings, fractions and integers outside -1..1 are not ratings (``None`` = malformed).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return RATING_WORDS.get(value.strip().lower())
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and MIN_RATING <= value <= MAX_RATING:
        return value
    return None


def parse_feedback_record(obj: Any) -> tuple[str, int] | None:
    """``(request_id, rating)`` of one decoded feedback record, or ``None`` if it is not a valid one."""
    if not isinstance(obj, dict) or obj.get("type", FEEDBACK_TYPE) != FEEDBACK_TYPE:
        return None
    request_id = obj.get("request_id")
    if not isinstance(request_id, str) or not request_id.strip():
        return None
    rating = normalize_rating(obj.get("rating"))
    return None if rating is None else (request_id.strip(), rating)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _loads(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def parse_feedback_text(text: str | None) -> tuple[list[tuple[str, int]], int]:
    """Parse one feedback file: ``(valid (request_id, rating) pairs, malformed count)``.

    The whole text as one JSON object (the front door's format, pretty-printed or not); failing that, JSON
    lines (each non-blank line one record, each bad line one malformed). An empty file counts as malformed.
    """
    if text is None or not text.strip():
        return [], 1
    try:
        whole = _loads(text)
    except (ValueError, RecursionError):
        pass  # not one JSON document: try JSON lines
    else:
        parsed = parse_feedback_record(whole)
        return ([parsed], 0) if parsed else ([], 1)
    pairs: list[tuple[str, int]] = []
    malformed = 0
    for line in (line for line in text.splitlines() if line.strip()):
        try:
            parsed = parse_feedback_record(_loads(line))
        except (ValueError, RecursionError):
            parsed = None
        if parsed:
            pairs.append(parsed)
        else:
            malformed += 1
    return pairs, malformed


def aggregate_ratings(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Net rating (sum of normalised ratings) per ``request_id``."""
    net: dict[str, int] = {}
    for request_id, rating in pairs:
        net[request_id] = net.get(request_id, 0) + rating
    return net


def excluded_requests(net: Mapping[str, int], min_rating: int) -> dict[str, int]:
    """The request ids whose net rating is below ``min_rating``, with that rating."""
    return {request_id: n for request_id, n in net.items() if n < min_rating}


@dataclass(frozen=True)
class FeedbackSummary:
    """What one run learned from the feedback files; ``excluded`` maps request id -> net rating (< min_rating)."""

    files: int = 0
    records: int = 0
    malformed: int = 0
    rated_requests: int = 0
    excluded: Mapping[str, int] = field(default_factory=dict)


def _parse_batches(batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInPandas`` body: one row per valid record, one ``malformed`` row (null request id) per file with any."""
    import pandas as pd

    for batch in batches:
        rows: list[tuple[str | None, int | None, int]] = []
        for text in batch["value"]:
            pairs, malformed = parse_feedback_text(text)
            rows.extend((request_id, rating, 0) for request_id, rating in pairs)
            if malformed:
                rows.append((None, None, malformed))
        yield pd.DataFrame.from_records(rows, columns=["request_id", "rating", "malformed"]).astype(
            {"rating": "Int64", "malformed": "int64"}
        )


def load_feedback(spark: Any, path: str, min_rating: int) -> FeedbackSummary:
    """Read every feedback file under ``path`` (recursive, whole files), aggregate in Spark, collect the excluded ids.

    A missing ``path`` (no feedback stored yet) is an empty summary. One Spark job: parse -> group by
    request id -> a single-row aggregate holding the counters and the (small) list of excluded request ids.
    """
    from pyspark.errors import AnalysisException
    from pyspark.sql import functions as F

    try:
        files = spark.read.option("recursiveFileLookup", "true").option("wholetext", "true").text(path)
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            return FeedbackSummary()
        raise
    parsed = files.select(F.col("value").cast("string")).mapInPandas(_parse_batches, FEEDBACK_SCHEMA)
    per_request = parsed.groupBy("request_id").agg(
        F.sum("rating").alias("net"), F.count("rating").alias("records"), F.sum("malformed").alias("malformed")
    )
    valid = F.col("request_id").isNotNull()
    row = per_request.agg(
        F.coalesce(F.sum(F.when(valid, F.col("records"))), F.lit(0)).alias("records"),
        F.coalesce(F.sum("malformed"), F.lit(0)).alias("malformed"),
        F.count(F.when(valid, 1)).alias("rated"),
        F.collect_list(F.when(valid & (F.col("net") < F.lit(min_rating)), F.struct("request_id", "net"))).alias(
            "excluded"
        ),
    ).first()
    return FeedbackSummary(
        files=len(files.inputFiles()),
        records=int(row["records"]),
        malformed=int(row["malformed"]),
        rated_requests=int(row["rated"]),
        excluded={item["request_id"]: int(item["net"]) for item in row["excluded"]},
    )
