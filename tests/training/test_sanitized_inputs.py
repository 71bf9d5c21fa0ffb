"""train.py reads exactly what the sanitization job writes (Spark text parts and Parquet parts)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("torch")

from training.sm_common import data_files, format_record, read_records

RECORDS = [{"prompt": "Hi [PERSON]", "response": "Hello"}, {"text": "Call [PHONE_NUMBER] today"}]


def test_reads_spark_jsonl_parts_and_parquet_record_column(tmp_path: Path) -> None:
    part_dir = tmp_path / "train" / "interactions" / "ingestion_date=2026-11-20"
    part_dir.mkdir(parents=True)
    (part_dir / "part-00000-abc.c000.txt").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    (part_dir / "_SUCCESS").write_text("")
    curated = tmp_path / "train" / "curated" / "ingestion_date=2026-11-19"
    curated.mkdir(parents=True)
    table = pa.table({"record": [json.dumps(r) for r in RECORDS], "source_file": ["s3://raw/a", "s3://raw/b"]})
    pq.write_table(table, curated / "part-00000-def.snappy.parquet")

    assert [p.name for p in data_files(tmp_path / "train")] == [
        "part-00000-def.snappy.parquet",
        "part-00000-abc.c000.txt",
    ]
    assert read_records(tmp_path / "train") == RECORDS + RECORDS


def test_plain_parquet_rows_are_read_as_is(tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": ["a", "b"]}), tmp_path / "x.parquet")
    assert read_records(tmp_path) == [{"text": "a"}, {"text": "b"}]


def test_interaction_records_train_as_prompt_plus_output() -> None:
    """Continuous learning feeds back the front door's records: {prompt, output, ...}."""
    text = format_record({"request_id": "r1", "prompt": "Summarise [PERSON]'s note", "output": "A summary."})
    assert text.startswith("### Instruction:\nSummarise [PERSON]'s note") and text.endswith("A summary.")
