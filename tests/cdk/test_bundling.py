"""Docker-free bundling: sources copied, archives reproducible, Lambda bytecode for the target runtime."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest

from pipeline_stacks import bundling
from pipeline_stacks.bundling import FRONT_DOOR_RUNTIME_COPIES, SHARED_RUNTIME_COPIES, Copy, LocalPythonBundling

HOST = "{}.{}".format(*sys.version_info[:2])
IMAGE = cdk.DockerImage.from_registry("unused")


def test_copies_sources_and_compiles_unchecked_hash_bytecode(tmp_path: Path) -> None:
    bundler = LocalPythonBundling([Copy("pii_engine", "pii_engine")], python_version=HOST, compile_bytecode=True)
    assert bundler.try_bundle(str(tmp_path), image=IMAGE)
    assert (tmp_path / "pii_engine/engine.py").is_file()
    assert (tmp_path / "pii_engine/data/NOTICE").is_file()
    tag = sys.implementation.cache_tag
    pyc = tmp_path / f"pii_engine/__pycache__/engine.{tag}.pyc"
    assert pyc.is_file()
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, unchecked: valid whatever mtime the Lambda zip gives the source


def test_no_interpreter_for_the_target_means_no_bytecode(tmp_path: Path) -> None:
    bundler = LocalPythonBundling([Copy("pii_engine", "pii")], python_version="2.1", compile_bytecode=True)
    assert bundler.try_bundle(str(tmp_path), image=IMAGE)
    assert (tmp_path / "pii/engine.py").is_file()
    assert not list(tmp_path.rglob("*.pyc"))


def test_zip_archives_are_reproducible(tmp_path: Path) -> None:
    archives = []
    for run in ("a", "b"):
        out = tmp_path / run
        out.mkdir()
        LocalPythonBundling([Copy("glue_jobs", "glue_jobs")], zip_name="lib.zip").try_bundle(str(out), image=IMAGE)
        archives.append((out / "lib.zip").read_bytes())
        names = zipfile.ZipFile(out / "lib.zip").namelist()
        assert "glue_jobs/pii/__init__.py" in names and "glue_jobs/transform.py" in names
        assert not [n for n in names if "__pycache__" in n]
    assert archives[0] == archives[1]


def test_shared_modules_ship_even_from_an_installed_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract and the PII engine are top-level modules of the wheel, not runtime folders: the bundler finds
    them by import when the runtime root (``pipeline_stacks/_runtime`` in a wheel) does not hold them."""
    monkeypatch.setattr(bundling, "RUNTIME_ROOT", tmp_path / "empty-runtime-root")
    out = tmp_path / "out"
    out.mkdir()
    assert LocalPythonBundling(SHARED_RUNTIME_COPIES).try_bundle(str(out), image=IMAGE)
    assert (out / "pipeline_contract.py").is_file()
    assert (out / "pii_engine/registry.py").is_file()
    assert (out / "pii_engine/data/NOTICE").is_file()


def test_front_door_bundle_runs_without_the_repository(tmp_path: Path) -> None:
    """The Lambda's sources plus the shared modules, as the construct copies them, import and redact on their own
    (the repository is not on the path: the contract and the engine come from the bundle)."""
    import subprocess

    copies = [Copy("lambda_src/front_door", "."), *FRONT_DOOR_RUNTIME_COPIES]  # what FrontDoor copies
    assert LocalPythonBundling(copies).try_bundle(str(tmp_path), image=IMAGE)
    probe = (
        "import chat_api.app, pipeline_contract, pii_engine; from frontdoor import storage; "
        f"assert pipeline_contract.__file__.startswith({str(tmp_path)!r}); "
        f"assert pii_engine.__file__.startswith({str(tmp_path)!r}); "
        "assert storage.redact('mail jane@example.com') == ('mail [EMAIL_ADDRESS]', {'EMAIL_ADDRESS': 1})"
    )
    site = [p for p in sys.path if p.endswith("site-packages")]  # Powertools etc. (requirements.txt in a real bundle)
    proc = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = {[str(tmp_path), *site]!r}; {probe}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "BACKEND": "sagemaker", "ENDPOINT_NAME": "e"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
