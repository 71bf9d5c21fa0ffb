"""Initialisation: lazy by default (no boto3 / PII engine at import), everything up front with WARM_ON_INIT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from front_door_support import LAMBDA_DIR, ROOT

PROBE = (
    "import json, sys; import handler; from frontdoor import clients, storage; "
    "print(json.dumps({'boto3': 'boto3' in sys.modules, 'pii': 'pii_engine' in sys.modules, "
    "'xray': 'aws_xray_sdk.core' in sys.modules, 's3_client': clients.s3.cache_info().currsize, "
    "'engine': storage._engine.cache_info().currsize}))"
)


def probe(**extra_env: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "WARM_ON_INIT"}
    env.update(PYTHONPATH=os.pathsep.join([str(LAMBDA_DIR), str(ROOT)]), AWS_DEFAULT_REGION="us-east-1",
               BACKEND="sagemaker", ENDPOINT_NAME="e", **extra_env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=LAMBDA_DIR, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_is_lazy() -> None:
    assert probe() == {"boto3": False, "pii": False, "xray": False, "s3_client": 0, "engine": 0}


def test_warm_on_init_builds_everything() -> None:
    state = probe(WARM_ON_INIT="true")
    assert state["boto3"] and state["pii"] and state["xray"]
    assert state["s3_client"] == 1 and state["engine"] == 1
