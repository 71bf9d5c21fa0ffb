"""Test-wide setup: CDK environment switches that must be set before aws_cdk is imported."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

# CDK's built-in CloudFormation validation costs seconds per synth; cfn-lint covers it in tests.
os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# Every cdk.App() without an outdir synthesizes into a fresh mkdtemp() of the jsii kernel (a node process that
# inherits TMPDIR), and the kernel unpacks its libraries there too: a full run leaves gigabytes behind. Each test
# process gets one private temporary folder, removed when it exits (atexit runs after jsii stops its kernel).
_SESSION_TMP = tempfile.mkdtemp(prefix="llm-pipeline-tests-")
os.environ["TMPDIR"] = _SESSION_TMP
tempfile.tempdir = _SESSION_TMP
atexit.register(shutil.rmtree, _SESSION_TMP, True)

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
