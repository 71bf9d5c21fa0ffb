"""CLI: ``python -m pii_engine {detect,redact}`` over JSON lines on stdin.

Each input line is ``{"text": ..., "field": optional}``; each output line corresponds to exactly one input line
(``{"entities": [...]}``, ``{"text": ...}`` or ``{"error": ...}`` for a malformed line). The HMAC key for hash
mode is read from the environment variable named by ``--hash-key-env`` (default ``PII_HASH_KEY``), never
from a flag value, and is never printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import select
import sys
from typing import TextIO

from pii_engine.engine import Engine
from pii_engine.model import ENTITY_TYPES, PROFILES, EngineConfig, Mode, Span
from pii_engine.recognizers import names


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m pii_engine", description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=("detect", "redact"))
    p.add_argument(
        "--mode",
        choices=[m.value for m in Mode],
        default=Mode.MASK.value,
        help="redaction mode",
    )
    p.add_argument(
        "--hash-key-env",
        default="PII_HASH_KEY",
        help="environment variable holding the HMAC key",
    )
    p.add_argument("--entities", help=f"comma-separated subset of: {','.join(ENTITY_TYPES)}")
    p.add_argument("--min-score", type=float, default=0.5)
    p.add_argument(
        "--second-tier",
        default=None,
        help="registered second-tier detector, e.g. comprehend",
    )
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="balanced",
        help="balanced (default) or recall (recall-first for PHI: training data)",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=AUTO_BATCH,
        help=f"detect: at most this many lines detected together (default {AUTO_BATCH}; Engine.detect_many: the same "
        "output, faster). Only input already pending is read ahead, so the lines read are answered before waiting "
        "for more. 1: one line at a time",
    )
    return p.parse_args(argv)


#: Default of ``--batch``: at most this many lines detected together.
AUTO_BATCH = 64


def _input_ready(stdin: TextIO) -> bool:
    """Whether reading ``stdin`` now would not wait for its writer (a regular file, a pipe or terminal with data
    pending). False where that cannot be known (in-memory streams; Windows, whose select takes sockets only)."""
    try:
        return bool(select.select([stdin], [], [], 0)[0])
    except (OSError, ValueError, TypeError):  # io.UnsupportedOperation is an OSError and a ValueError
        return False


def _entities(spans: list[Span]) -> dict[str, object]:
    return {"entities": [{"type": s.type, "start": s.start, "end": s.end, "score": round(s.score, 3)} for s in spans]}


def _parse(line: str) -> tuple[str, str | None]:
    """(text, field) of one input line; ValueError/TypeError if it is not a record."""
    record = json.loads(line)
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise TypeError('expected an object with a string "text"')
    return record["text"], record.get("field") if isinstance(record.get("field"), str) else None


def _one(engine: Engine, command: str, line: str, lineno: int) -> dict[str, object]:
    """The output object of one input line."""
    try:
        text, field = _parse(line)
        if command == "detect":
            return _entities(engine.detect(text, field=field))
        result = engine.redact(text, field=field)
        out: dict[str, object] = {"text": result.text}
        if result.drop:
            out["drop"] = True
        return out
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        return {"error": f"line {lineno}: {exc}"}


def _detect_batches(engine: Engine, stdin: TextIO, stdout: TextIO, size: int) -> None:
    """``detect`` over up to ``size`` lines at a time: the output lines of :func:`_one`, line by line.

    Each batch starts with one line (waiting for it if need be) and takes more only while :func:`_input_ready`: the
    lines read are answered (written to ``stdout``) before the next wait for input, as when reading one at a time.
    """
    lineno = 0
    while line := stdin.readline():
        batch = [line]
        while len(batch) < size and _input_ready(stdin) and (line := stdin.readline()):
            batch.append(line)
        numbered = list(enumerate(batch, lineno + 1))
        lineno += len(batch)
        outs: list[dict[str, object] | None] = []
        jobs: list[tuple[str, str | None]] = []
        for n, text in numbered:
            try:
                jobs.append(_parse(text))
                outs.append(None)
            except (ValueError, TypeError):
                outs.append(_one(engine, "detect", text, n))  # the error output
        try:
            found = iter(engine.detect_many([t for t, _ in jobs], [f for _, f in jobs]))
        except (ValueError, TypeError):  # one record's error: each line on its own, as _one reports it
            outs = [_one(engine, "detect", text, n) for n, text in numbered]
        for out in outs:
            stdout.write(json.dumps(out if out is not None else _entities(next(found)), ensure_ascii=False) + "\n")


def run(
    argv: list[str] | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    freeze: bool = False,
) -> int:
    """Process stdin to stdout; returns the process exit code (2 for a bad configuration).

    ``freeze`` (``python -m pii_engine``, where the process is the CLI's alone): the gazetteers are loaded up front
    and, with everything else loaded so far, moved out of the cyclic garbage collector's reach (:func:`gc.freeze`);
    its full collections would otherwise walk their ~700,000 entries each time (~3% of a run over short records).
    """
    args = _parse_args(argv)
    key = os.environ.get(args.hash_key_env)
    try:
        config = EngineConfig(
            entities=frozenset(e.strip() for e in args.entities.split(","))
            if args.entities
            else frozenset(ENTITY_TYPES),
            min_score=args.min_score,
            default_mode=Mode(args.mode),
            hash_key=key.encode() if key else None,
            second_tier=args.second_tier,
            profile=args.profile,
        )
    except ValueError as exc:
        msg = str(exc).replace(
            "hash mode requires hash_key",
            f"hash mode requires the {args.hash_key_env} environment variable",
        )
        print(f"error: {msg}", file=sys.stderr)
        return 2
    try:
        engine = Engine(config)
        if freeze and config.entities & names.TYPES:
            names.gazetteers()  # (the first record would load them)
    except Exception as exc:
        print(f"error: cannot start the engine: {exc}", file=sys.stderr)
        return 2
    if args.batch < 1:
        print("error: --batch must be at least 1", file=sys.stderr)
        return 2
    if freeze:
        gc.freeze()
    if args.command == "detect" and args.batch > 1:
        _detect_batches(engine, stdin, stdout, args.batch)
    else:
        for lineno, line in enumerate(stdin, 1):
            out = _one(engine, args.command, line, lineno)
            stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(run(freeze=True))
