"""Unit tests of the training helpers: backend choice, checkpoints, data, packing, arguments."""

from __future__ import annotations

import json
import re
import sys
import tarfile
import types
from pathlib import Path
from types import ModuleType

import pytest

torch = pytest.importorskip("torch")
import sm_common

from pipeline_stacks.training_metrics import TRAINING_METRIC_DEFINITIONS


@pytest.mark.parametrize(
    ("instance_type", "cuda", "expected"),
    [
        ("ml.trn1.32xlarge", False, "neuron"),
        ("ml.trn1n.32xlarge", False, "neuron"),
        ("ml.trn2.48xlarge", False, "neuron"),
        ("ml.p4d.24xlarge", True, "cuda"),
        ("ml.g5.2xlarge", True, "cuda"),
        ("ml.m5.xlarge", False, "cpu"),
        (None, True, "cuda"),
        (None, False, "cpu"),
    ],
)
def test_backend_follows_instance_family(
    sm_train: ModuleType, instance_type: str | None, cuda: bool, expected: str
) -> None:
    assert sm_train.select_backend("auto", instance_type, cuda) == expected


def test_gpu_instance_without_cuda_fails_loudly(sm_train: ModuleType) -> None:
    with pytest.raises(RuntimeError, match="no CUDA"):
        sm_train.select_backend("auto", "ml.g5.xlarge", False)


def test_explicit_backend_wins(sm_train: ModuleType) -> None:
    assert sm_train.select_backend("cpu", "ml.trn1.2xlarge", True) == "cpu"


def test_instance_type_comes_from_environment(sm_train: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SM_CURRENT_INSTANCE_TYPE", "ml.trn1.2xlarge")
    assert sm_train.current_instance_type() == "ml.trn1.2xlarge"


@pytest.mark.parametrize(
    ("setting", "backend", "cuda_bf16", "expected"),
    [
        ("auto", "neuron", False, True),
        ("auto", "cuda", True, True),
        ("auto", "cuda", False, False),
        ("auto", "cpu", False, False),
        ("false", "neuron", False, False),
        ("true", "cpu", False, True),
    ],
)
def test_bf16_resolution(sm_train: ModuleType, setting: str, backend: str, cuda_bf16: bool, expected: bool) -> None:
    assert sm_train.use_bf16(setting, backend, cuda_bf16) is expected


def test_neuron_backend_imports_optimum_neuron_lazily(sm_train: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    assert sm_train.trainer_kit("cpu", 1).trainer_cls.__name__ == "Trainer"
    fake = types.ModuleType("optimum.neuron")
    fake.NeuronTrainer, fake.NeuronTrainingArguments = (
        type("NeuronTrainer", (), {}),
        type("NeuronTrainingArguments", (), {}),
    )
    monkeypatch.setitem(sys.modules, "optimum", types.ModuleType("optimum"))
    monkeypatch.setitem(sys.modules, "optimum.neuron", fake)
    monkeypatch.delenv("NEURON_CC_FLAGS", raising=False)
    kit = sm_train.trainer_kit("neuron", 8)
    assert (kit.trainer_cls, kit.args_cls) == (fake.NeuronTrainer, fake.NeuronTrainingArguments)
    assert kit.extra_args == {"tensor_parallel_size": 8}


def test_checkpointing_argument_name(sm_train: ModuleType) -> None:
    from transformers import TrainingArguments

    assert sm_train.checkpointing_args(TrainingArguments, False) == {}
    args = sm_train.checkpointing_args(TrainingArguments, True)
    assert True in args.values() and {"use_reentrant": False} in args.values()


def _checkpoint(root: Path, step: int, complete: bool = True) -> Path:
    path = root / f"checkpoint-{step}"
    path.mkdir(parents=True)
    if complete:
        (path / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return path


def test_latest_checkpoint_is_numeric_and_complete(sm_train: ModuleType, tmp_path: Path) -> None:
    assert sm_train.latest_checkpoint(tmp_path / "missing") is None
    assert sm_train.latest_checkpoint(tmp_path) is None
    _checkpoint(tmp_path, 9)
    newest = _checkpoint(tmp_path, 10)
    _checkpoint(tmp_path, 12, complete=False)  # interrupted while saving
    (tmp_path / "checkpoint-99.tmp").mkdir()
    assert sm_train.latest_checkpoint(tmp_path) == newest


def test_sagemaker_style_hyperparameters(sm_train: ModuleType) -> None:
    args = sm_train.parse_args(
        [
            "--model_config",
            "tiny-gpt2",
            "--lora",
            "True",
            "--learning_rate",
            "1e-4",
            "--packing",
            "false",
            "--lora-r",
            "4",
            "--max_steps",
            "7",
            "--unknown",
            "x",
        ]
    )
    assert (args.peft, args.lora_r, args.learning_rate, args.packing, args.max_steps) == ("lora", 4, 1e-4, False, 7)
    assert sm_train.parse_args(["--model-config", "tiny-gpt2", "--gradient-checkpointing"]).gradient_checkpointing


def test_sagemaker_environment_defaults(sm_train: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SM_CHANNEL_TRAIN": "/t",
        "SM_CHANNEL_VALIDATION": "/v",
        "SM_CHANNEL_MODEL": "/base",
        "SM_MODEL_DIR": "/m",
        "SM_OUTPUT_DATA_DIR": "/o",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CHECKPOINT_DIR", raising=False)
    args = sm_train.parse_args([])
    assert (
        args.train_dir,
        args.validation_dir,
        args.model_name_or_path,
        args.model_dir,
        args.output_data_dir,
        args.checkpoint_dir,
    ) == ("/t", "/v", "/base", "/m", "/o", "/opt/ml/checkpoints")


def test_a_model_source_is_required(sm_train: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SM_CHANNEL_MODEL", raising=False)
    with pytest.raises(SystemExit):
        sm_train.parse_args([])


@pytest.mark.parametrize(
    ("raw", "expected"), [("True", True), ("1", True), ("yes", True), ("False", False), ("0", False)]
)
def test_str2bool(raw: str, expected: bool) -> None:
    assert sm_common.str2bool(raw) is expected


def test_str2bool_rejects_garbage() -> None:
    with pytest.raises(Exception, match="boolean"):
        sm_common.str2bool("maybe")


def test_records_are_formatted() -> None:
    assert sm_common.format_record({"text": "plain"}) == "plain"
    formatted = sm_common.format_record({"prompt": "Q?", "response": "A."})
    assert formatted.startswith(sm_common.format_prompt("Q?")) and formatted.endswith("A.")
    with pytest.raises(ValueError, match="text"):
        sm_common.format_record({"body": "x"})


def test_read_records_walks_channel_dirs(tmp_path: Path) -> None:
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "b.jsonl").write_text('{"text": "b"}\n\n')
    (tmp_path / "a.jsonl").write_text('{"text": "a"}\n')
    (tmp_path / "_SUCCESS").write_text("")
    assert [r["text"] for r in sm_common.read_records(tmp_path)] == ["a", "b"]
    (tmp_path / "c.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match=r"c\.jsonl:1"):
        sm_common.read_records(tmp_path)


class CharTokenizer:
    """One id per character; EOS = 0."""

    eos_token_id = 0

    def __call__(self, text: str) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text]}


def test_packing_concatenates_with_eos_and_cuts_full_blocks() -> None:
    blocks = sm_common.tokenize_texts(["abc", "defgh", "ij"], CharTokenizer(), seq_len=4, packing=True)
    stream = [97, 98, 99, 0, 100, 101, 102, 103, 104, 0, 105, 106, 0]
    assert [b["input_ids"] for b in blocks] == [stream[0:4], stream[4:8], stream[8:12]]
    assert all(b["labels"] == b["input_ids"] for b in blocks)


def test_packing_keeps_a_corpus_shorter_than_one_block() -> None:
    assert sm_common.tokenize_texts(["ab"], CharTokenizer(), seq_len=8, packing=True)[0]["input_ids"] == [97, 98, 0]


def test_without_packing_each_document_is_truncated() -> None:
    examples = sm_common.tokenize_texts(["abcdef", "x", " "], CharTokenizer(), seq_len=4, packing=False)
    assert [e["input_ids"] for e in examples] == [[97, 98, 99, 100], [120, 0]]


def test_collate_pads_and_masks_labels() -> None:
    batch = sm_common.collate([{"input_ids": [5, 6, 7], "labels": [5, 6, 7]}, {"input_ids": [8], "labels": [8]}], 1)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 1, 1]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"].tolist() == [[5, 6, 7], [8, -100, -100]]


def test_emit_metric_lines_match_sagemaker_regexes(capsys: pytest.CaptureFixture[str]) -> None:
    sm_common.emit_metric("train_loss", 1.23456789, 10)
    sm_common.emit_metric("learning_rate", 5e-05, 10)
    sm_common.emit_metric("eval_loss", float("nan"), 10)
    sm_common.emit_metric("tokens_per_second", 12345.6)
    out = capsys.readouterr().out
    assert "METRIC train_loss=1.23457 step=10" in out
    regex = {d["Name"]: d["Regex"] for d in TRAINING_METRIC_DEFINITIONS}
    assert float(re.search(regex["learning_rate"], out).group(1)) == 5e-05
    assert float(re.search(regex["tokens_per_second"], out).group(1)) == pytest.approx(12345.6)
    assert re.search(regex["eval_loss"], out) is None  # non-finite values are not printed


def test_resolve_model_dir_extracts_model_tarball(tmp_path: Path) -> None:
    model = tmp_path / "src"
    model.mkdir()
    (model / "config.json").write_text("{}")
    assert sm_common.resolve_model_dir(model) == model
    inputs = tmp_path / "input"
    inputs.mkdir()
    with tarfile.open(inputs / "model.tar.gz", "w:gz") as tar:
        tar.add(model / "config.json", arcname="config.json")
    assert (sm_common.resolve_model_dir(inputs) / "config.json").read_text() == "{}"
    with pytest.raises(FileNotFoundError):
        sm_common.resolve_model_dir(tmp_path / "nothing")
