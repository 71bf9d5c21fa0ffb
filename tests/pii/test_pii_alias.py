"""``glue_jobs.pii`` stays a working, deprecated alias of ``pii_engine`` for one release."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.cdk.support import REPO_ROOT


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", "-c", code],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_imports_resolve_to_the_engine_and_warn() -> None:
    proc = _run(
        "import pii_engine, pii_engine.recognizers.names; "
        "from glue_jobs.pii import Engine, ENTITY_TYPES; from glue_jobs.pii.names import gazetteers; "
        "import glue_jobs.pii.patterns as p; "
        "assert Engine is pii_engine.Engine and ENTITY_TYPES == pii_engine.ENTITY_TYPES; "
        "assert gazetteers is pii_engine.recognizers.names.gazetteers "
        "and p is sys.modules['pii_engine.patterns']".replace("import pii_engine,", "import sys, pii_engine,")
    )
    assert proc.returncode == 0, proc.stderr
    assert "DeprecationWarning" in proc.stderr and "pii_engine" in proc.stderr


def test_module_cli_forwards_to_the_engine_cli() -> None:
    line = json.dumps({"text": "mail jane@example.com"}) + "\n"
    outs = []
    for module in ("pii_engine", "glue_jobs.pii"):
        proc = subprocess.run(
            [sys.executable, "-W", "always::DeprecationWarning", "-m", module, "redact"],
            input=line, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        outs.append(proc.stdout)
        assert ("deprecated" in proc.stderr) == (module == "glue_jobs.pii")
    assert outs[0] == outs[1] == json.dumps({"text": "mail [EMAIL_ADDRESS]"}) + "\n"
