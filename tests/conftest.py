"""Test-wide setup: CDK environment switches that must be set before aws_cdk is imported."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# CDK's built-in CloudFormation validation costs seconds per synth; cfn-lint covers it in tests.
os.environ.setdefault("CDK_VALIDATION", "false")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
