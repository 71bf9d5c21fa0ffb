"""The front-door bundle carries what the chat app's retrieval step imports (``retrieval/`` minus local-only parts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest

from pipeline_stacks import bundling
from pipeline_stacks.bundling import Copy, LocalPythonBundling

IMAGE = cdk.DockerImage.from_registry("unused")


def test_chat_app_imports_from_the_bundle_and_builds_the_kb_retriever(tmp_path: Path) -> None:
    copies = getattr(bundling, "FRONT_DOOR_RUNTIME_COPIES", None)
    if copies is None:
        pytest.skip("bundling.FRONT_DOOR_RUNTIME_COPIES (retrieval in the front-door bundle) is not on this branch")
    assert LocalPythonBundling([Copy("lambda_src/front_door", "."), *copies]).try_bundle(str(tmp_path), image=IMAGE)
    probe = (
        "import importlib.util, retrieval, chat_api.app; from chat_api.settings import ChatSettings; "
        "from chat_api.grounding import build_retriever; "
        f"assert retrieval.__file__.startswith({str(tmp_path)!r}); "
        "assert importlib.util.find_spec('retrieval.local') is None; "  # bm25s/numpy stay local-only
        "r = build_retriever(ChatSettings.from_env()); assert type(r).__name__ == 'BedrockKbRetriever', r"
    )
    site = [p for p in sys.path if p.endswith("site-packages")]  # starlette, boto3 ... (requirements.txt in a bundle)
    proc = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(tmp_path), *site]!r}; {probe}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "KNOWLEDGE_BASE_ID": "KBID123456",
             "RAG_DEFAULT_ON": "true"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
