"""`pip install .` (not editable) gives a working library: constructs import and runtime code ships."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.cdk.support import REPO_ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), "."],
        cwd=REPO_ROOT,
        check=True,
        timeout=300,
    )
    return next(out.glob("*.whl"))


@pytest.mark.slow
def test_wheel_carries_every_runtime_source_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("glue_jobs", "lambda_src"):
        for path in (REPO_ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                assert f"pipeline_stacks/_runtime/{path.relative_to(REPO_ROOT)}" in names, path
    for name in ("train.py", "evaluate.py", "requirements.txt"):
        assert f"pipeline_stacks/_runtime/training/{name}" in names
    # The contract, the PII engine and retrieval are top-level modules of the wheel (the constructs import the
    # contract; the front-door bundle copies retrieval's interface and Bedrock retriever).
    assert "pipeline_contract.py" in names
    for path in (*(REPO_ROOT / "pii_engine").rglob("*"), *(REPO_ROOT / "retrieval").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            assert str(path.relative_to(REPO_ROOT)) in names, path


@pytest.mark.slow
def test_installed_package_bundles_from_its_own_runtime_copy(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    probe = (
        "from pipeline_stacks import bundling, constructs; "
        "print(bundling.RUNTIME_ROOT); "
        "assert (bundling.RUNTIME_ROOT / 'lambda_src' / 'front_door').is_dir(); "
        "assert all(bundling.runtime_source(m).exists() for m in bundling.SHARED_RUNTIME_MODULES); "
        "assert all(bundling.runtime_source(c.source).is_file() for c in bundling.FRONT_DOOR_RUNTIME_COPIES if "
        "c.source.startswith('retrieval/'))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("pipeline_stacks/_runtime")
    assert str(target) in proc.stdout
