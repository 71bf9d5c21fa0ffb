"""Run this interpreter in a subprocess, the way the CLI and entry-point tests do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_python(
    *args: str,
    env: Mapping[str, str | None] | None = None,
    cwd: Path = REPO_ROOT,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python <args>`` with this interpreter, run from ``cwd`` with the repository importable (``PYTHONPATH``).

    The child gets this process's environment changed by ``env`` (a ``None`` value removes the variable). Output is
    captured as text; a non-zero exit is returned, not raised.
    """
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
