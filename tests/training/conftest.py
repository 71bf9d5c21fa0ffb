"""Fixtures for the training entry points: offline Hugging Face, modules loaded from training/."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pipeline_stacks.training_metrics import EVALUATION_REPORT_FILENAME

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TRAINING_DIR = Path(__file__).resolve().parents[2] / "training"
SAMPLE_DATA = TRAINING_DIR / "sample_data"
# train.py/evaluate.py import their sibling sm_common, as they do when SageMaker runs them.
if str(TRAINING_DIR) not in sys.path:
    sys.path.append(str(TRAINING_DIR))


def _load(name: str) -> ModuleType:
    """Import training/<name>.py under a unique module name (``evaluate`` is also a PyPI package)."""
    pytest.importorskip("torch")
    module_name = f"sm_entrypoint_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, TRAINING_DIR / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


@pytest.fixture(scope="session")
def sm_train() -> ModuleType:
    return _load("train")


@pytest.fixture(scope="session")
def sm_evaluate() -> ModuleType:
    return _load("evaluate")


@pytest.fixture(scope="session")
def sample_data() -> Path:
    return SAMPLE_DATA


def tiny_train_argv(root: Path, *extra: str, model: str = "tiny-gpt2") -> list[str]:
    """Arguments for a seconds-long CPU run of train.py with all outputs under ``root``."""
    return [
        "--model-config",
        model,
        "--train-dir",
        str(SAMPLE_DATA / "train"),
        "--validation-dir",
        str(SAMPLE_DATA / "validation"),
        "--model-dir",
        str(root / "model"),
        "--output-data-dir",
        str(root / "output"),
        "--checkpoint-dir",
        str(root / "checkpoints"),
        "--seq-len",
        "32",
        "--per-device-batch-size",
        "4",
        "--learning-rate",
        "1e-2",
        "--max-steps",
        "6",
        "--logging-steps",
        "1",
        "--save-steps",
        "3",
        "--backend",
        "cpu",
        "--tokenizer-vocab-size",
        "300",
        *extra,
    ]


@pytest.fixture()
def run_train(
    sm_train: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[dict[str, Any], str]]:
    """Run train.main in-process under tmp_path; returns (summary, captured stdout)."""

    def run(*extra: str, model: str = "tiny-gpt2", callbacks: list[Any] | None = None) -> tuple[dict[str, Any], str]:
        capsys.readouterr()
        summary = sm_train.main(tiny_train_argv(tmp_path, *extra, model=model), callbacks=callbacks)
        return summary, capsys.readouterr().out

    return run


@pytest.fixture(scope="session")
def trained_model_dir(sm_train: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model trained once for the evaluate.py tests."""
    root = tmp_path_factory.mktemp("trained")
    sm_train.main(tiny_train_argv(root, model="tiny-llama"))
    return root / "model"


@pytest.fixture()
def run_evaluate(sm_evaluate: ModuleType, trained_model_dir: Path) -> Callable[..., dict[str, Any]]:
    """Run evaluate.main briefly (64-token sequences, 8 new tokens) writing to ``out``; the model is the tiny trained
    one and the held-out set the sample test split unless given. Checks that ``evaluation.json`` holds the report."""

    def run(
        out: Path, *extra: str, model: Path = trained_model_dir, test_dir: Path = SAMPLE_DATA / "test"
    ) -> dict[str, Any]:
        argv = ["--model-dir", str(model), "--test-dir", str(test_dir), "--output-dir", str(out)]
        report: dict[str, Any] = sm_evaluate.main([*argv, "--seq-len", "64", "--max-new-tokens", "8", *extra])
        assert json.loads((out / EVALUATION_REPORT_FILENAME).read_text()) == report
        return report

    return run


@pytest.fixture(scope="session")
def tiny_argv() -> Callable[..., list[str]]:
    """``tiny_train_argv`` for tests that launch train.py themselves."""
    return tiny_train_argv
