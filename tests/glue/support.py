"""Arguments for local runs of the sanitize job (``glue_jobs.sanitize_job.run``) in the Spark tests."""

from __future__ import annotations

from pathlib import Path


def local_job_args(job_name: str, raw: Path, out: Path, **args: str) -> dict[str, str]:
    """The job ``job_name`` reading ``raw`` and writing ``out/sanitized`` and ``out/quarantine``; ``args`` are its
    other arguments (``text_fields="prompt"``, ``output_format="jsonl"``, ...)."""
    return {
        "JOB_NAME": job_name,
        "raw_path": str(raw),
        "sanitized_path": str(out / "sanitized"),
        "quarantine_path": str(out / "quarantine"),
        **args,
    }
