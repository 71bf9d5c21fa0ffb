"""app.py as the CDK CLI runs it: a bad -c value fails before any template is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.cdk.support import REPO_ROOT, cdk_json_context


def test_bad_config_exits_2_with_message_and_writes_nothing(tmp_path: Path) -> None:
    context = {**cdk_json_context(), "env": "dev", "data_lake.removal_policy": "sometimes"}
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    proc = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "data_lake.removal_policy = 'sometimes'" in proc.stderr
    assert "'retain' or 'destroy'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("*.template.json"))
