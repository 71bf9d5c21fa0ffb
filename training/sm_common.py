"""Helpers shared by ``train.py`` and ``evaluate.py``: data reading, tokenisation, metric lines.

Lives next to the entry points because SageMaker ships ``training/`` as the source directory
and runs the scripts from it, so sibling modules are importable there and locally.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

METRIC_LINE_PREFIX = "METRIC"  # regexes: pipeline_stacks/training_metrics.py
PROMPT_TEMPLATE = "### Instruction:\n{prompt}\n\n### Response:\n"
DATA_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".parquet")
# What the sanitization job (glue_jobs/sanitize_job.py) writes: Spark text parts (JSON lines,
# --output_format jsonl) and Parquet parts whose ``record`` column holds the sanitized JSON.
SPARK_TEXT_PART = re.compile(r"^part-.*\.txt(\.gz)?$")
SANITIZED_RECORD_COLUMN = "record"


def emit_metric(name: str, value: float, step: int | None = None) -> None:
    """Print ``METRIC name=value [step=N]`` on stdout (parsed by SageMaker metric definitions)."""
    if value is None or not math.isfinite(float(value)):
        return
    line = f"{METRIC_LINE_PREFIX} {name}={float(value):.6g}"
    print(line if step is None else f"{line} step={step}", flush=True)


def str2bool(value: str | bool) -> bool:
    """Parse SageMaker's string hyperparameters (``"True"``, ``"false"``, ``"1"``...)."""
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "y", "on"}:
        return True
    if lowered in {"0", "false", "no", "n", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean, got {value!r}")


def option_names(name: str) -> list[str]:
    """``--a-b`` and ``--a_b`` (hyperparameter keys may use either spelling)."""
    return list(dict.fromkeys([f"--{name}", f"--{name.replace('-', '_')}"]))


class HyperparameterParser(argparse.ArgumentParser):
    """Options as SageMaker passes hyperparameters: either spelling of a key, booleans as strings, and unknown keys
    (the platform's own) warned about instead of rejected."""

    def option(self, name: str, **kwargs: Any) -> None:
        """``--a-b`` and ``--a_b`` for one option (``add_argument``'s keyword arguments)."""
        self.add_argument(*option_names(name), **kwargs)

    def flag(self, name: str, *, default: bool, help: str) -> None:
        """``--flag`` (true), ``--flag false`` and ``--flag=True`` all work, as SageMaker passes values."""
        self.option(name, type=str2bool, nargs="?", const=True, default=default, help=help)

    def parse_lenient(self, argv: list[str] | None = None) -> argparse.Namespace:
        """The known options; unknown arguments get a warning on stderr."""
        args, unknown = self.parse_known_args(argv)
        if unknown:
            print(f"WARNING ignoring unknown arguments: {unknown}", file=sys.stderr, flush=True)
        return args


def env_default(name: str, fallback: str | None) -> str | None:
    """Value of environment variable ``name`` or ``fallback``."""
    return os.environ.get(name) or fallback


def data_files(location: str | Path) -> list[Path]:
    """JSON-lines files under ``location`` (a file or a directory, searched recursively), sorted."""
    path = Path(location)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no data at {path}")
    return sorted(
        p for p in path.rglob("*") if p.is_file() and (p.name.endswith(DATA_SUFFIXES) or SPARK_TEXT_PART.match(p.name))
    )


def read_records(location: str | Path) -> list[dict[str, Any]]:
    """All JSON objects of the JSON-lines files at ``location``; blank lines are skipped."""
    records: list[dict[str, Any]] = []
    for file in data_files(location):
        if file.suffix == ".parquet":
            records.extend(_parquet_records(file))
            continue
        opener = gzip.open if file.name.endswith(".gz") else open
        with opener(file, "rt", encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"{file}:{line_no}: invalid JSON: {exc}") from exc
    return records


def _parquet_records(file: Path) -> list[dict[str, Any]]:
    """Rows of a Parquet file: the sanitization job's ``record`` JSON column, else the columns as is."""
    import pyarrow.parquet as pq  # only needed for Parquet inputs

    table = pq.read_table(file)
    if SANITIZED_RECORD_COLUMN in table.column_names:
        return [json.loads(v) for v in table.column(SANITIZED_RECORD_COLUMN).to_pylist() if v]
    return table.to_pylist()


def format_prompt(prompt: str) -> str:
    """The prompt part of an instruction record, as the model sees it."""
    return PROMPT_TEMPLATE.format(prompt=prompt.strip())


def reference_of(record: dict[str, Any]) -> str | None:
    """The expected answer of a prompt record (``response``, ``completion``, ``reference``, or ``output``:
    the front door's interaction records, fed back by continuous learning)."""
    for key in ("response", "completion", "reference", "output"):
        if isinstance(record.get(key), str):
            return record[key]
    return None


def format_record(record: dict[str, Any]) -> str:
    """Training text of a record: ``text`` as is, or ``prompt``/``response`` through the template."""
    if isinstance(record.get("text"), str):
        return record["text"]
    reference = reference_of(record)
    if isinstance(record.get("prompt"), str) and reference is not None:
        return format_prompt(record["prompt"]) + reference.strip()
    raise ValueError(f"record needs 'text' or 'prompt'+'response'/'output', has keys {sorted(record)}")


def tokenize_texts(texts: Sequence[str], tokenizer: Any, seq_len: int, packing: bool) -> list[dict[str, list[int]]]:
    """Causal-LM examples: each text gets EOS appended; packing concatenates and cuts ``seq_len`` blocks.

    Without packing each text is truncated to ``seq_len`` and padded later by ``collate``.
    Packing drops the last partial block, except when the corpus is shorter than one block.
    """
    eos = tokenizer.eos_token_id
    docs = [tokenizer(text)["input_ids"] + [eos] for text in texts if text.strip()]
    if not packing:
        return [{"input_ids": ids[:seq_len], "labels": ids[:seq_len]} for ids in docs]
    stream = [token for doc in docs for token in doc]
    n_blocks = max(1, len(stream) // seq_len) if stream else 0
    blocks = [stream[i * seq_len : (i + 1) * seq_len] for i in range(n_blocks)]
    return [{"input_ids": block, "labels": list(block)} for block in blocks]


def collate(features: Sequence[dict[str, list[int]]], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch; padded positions get attention 0 and label -100 (ignored by the loss)."""
    width = max(len(f["input_ids"]) for f in features)
    input_ids = torch.full((len(features), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(features), width), -100, dtype=torch.long)
    attention = torch.zeros((len(features), width), dtype=torch.long)
    for row, feature in enumerate(features):
        n = len(feature["input_ids"])
        input_ids[row, :n] = torch.tensor(feature["input_ids"])
        labels[row, :n] = torch.tensor(feature["labels"])
        attention[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


class Collator:
    """Picklable ``collate`` bound to a pad id (DataLoader workers may pickle it)."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, features: Sequence[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        return collate(features, self.pad_token_id)


def resolve_model_dir(location: str | Path) -> Path:
    """Directory holding ``config.json``: ``location`` itself, or a ``model.tar.gz`` in it extracted.

    SageMaker training jobs leave the model as ``model.tar.gz`` in S3, and a Processing job
    input downloads that archive unextracted.
    """
    path = Path(location)
    if (path / "config.json").is_file():
        return path
    archive = path if path.is_file() else path / "model.tar.gz"
    if archive.is_file() and tarfile.is_tarfile(archive):
        target = Path(tempfile.mkdtemp(prefix="model-"))
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        nested = [p.parent for p in target.rglob("config.json")]
        if nested:
            return min(nested, key=lambda p: len(p.parts))
    raise FileNotFoundError(f"no config.json or model.tar.gz with one at {path}")


def iter_batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
