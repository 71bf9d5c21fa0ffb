"""CI smoke of issue 16: the smoke profile against ``make local``'s chat API (stub backend) fails on any error.

Skipped until ``local_runtime`` (the ``make local`` server) is in the tree. No timing assertion.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_smoke_profile_against_the_local_server_has_no_errors(tmp_path: Path) -> None:
    pytest.importorskip("local_runtime")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    serve = f"{sys.executable} -m local_runtime serve --backend stub --home {tmp_path / 'home'} --port {port}"
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "loadtest",
            "run",
            "--serve",
            serve,
            "--serve-timeout-s",
            "300",
            "--target",
            f"http://127.0.0.1:{port}/v1",
            "--profile",
            "smoke",
            "--duration-s",
            "10",
            "--users",
            "2",
            "--prompt-set",
            "short,medium,long",
            "--fail-on-errors",
            "--out",
            str(out),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    overall = json.loads((out / "results.json").read_text())["overall"]
    assert overall["ok"] == overall["requests"] > 0
    assert overall["token_source"] == "usage" and overall["output_tokens"] > 0
    assert "data-chart='errors'><svg" in (out / "report.html").read_text()
