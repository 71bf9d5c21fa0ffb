"""End-to-end CPU runs of train.py on the sample data with tiny random models (seconds each)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback, set_seed

from pipeline_stacks.training_metrics import TRAINING_METRIC_DEFINITIONS
from tests.processes import run_python

pytestmark = pytest.mark.slow


def parse_metrics(log: str) -> dict[str, list[tuple[float, int]]]:
    """(value, step) pairs per metric, found with the SageMaker regexes."""
    found: dict[str, list[tuple[float, int]]] = {}
    for d in TRAINING_METRIC_DEFINITIONS:
        for m in re.finditer(d["Regex"] + r" step=(\d+)", log):
            found.setdefault(d["Name"], []).append((float(m.group(1)), int(m.group(2))))
    return found


def assert_serving_layout(model_dir: Path) -> None:
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        assert (model_dir / name).is_file(), name
    assert not (model_dir / "adapter_config.json").exists()


class Interrupt(TrainerCallback):
    """Raises after optimizer step ``at`` (before that step's checkpoint), like a spot reclaim."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.at:
            raise KeyboardInterrupt("spot interruption")


class StepCounter(TrainerCallback):
    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.steps.append(state.global_step)


def test_full_fine_tune_writes_serving_model_and_metric_lines(run_train: Any, tmp_path: Path) -> None:
    summary, out = run_train()
    metrics = parse_metrics(out)
    assert [step for _, step in metrics["train_loss"]] == [1, 2, 3, 4, 5, 6]
    assert {step for _, step in metrics["eval_loss"]} == {3, 6}
    assert len(metrics["tokens_per_second"]) == 6 and all(v > 0 for v, _ in metrics["tokens_per_second"])
    assert metrics["train_loss"][-1][0] < metrics["train_loss"][0][0]
    assert summary["global_step"] == 6 and summary["resumed_from"] is None and summary["packing"] is True
    assert summary["num_input_tokens_seen"] == 6 * 4 * 32  # packed: every token is real
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("checkpoint-*")) == ["checkpoint-3", "checkpoint-6"]
    assert json.loads((tmp_path / "output" / "training_summary.json").read_text())["global_step"] == 6

    model_dir = tmp_path / "model"
    assert_serving_layout(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    assert model.config.use_cache is True
    generated = model.generate(
        **tokenizer("### Instruction:\n", return_tensors="pt"),
        max_new_tokens=4,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
    )
    assert generated.shape[1] > 0


def test_resumes_from_newest_checkpoint_after_interruption(run_train: Any, tmp_path: Path) -> None:
    args = ("--max-steps", "8", "--save-steps", "2")
    with pytest.raises(KeyboardInterrupt):
        run_train(*args, callbacks=[Interrupt(at=5)])
    assert not (tmp_path / "model" / "config.json").exists()
    newest = tmp_path / "checkpoints" / "checkpoint-4"
    assert (newest / "trainer_state.json").is_file()

    counter = StepCounter()
    summary, out = run_train(*args, callbacks=[counter])
    assert summary["resumed_from"] == str(newest)
    assert f"resume_from={newest}" in out
    assert counter.steps == [5, 6, 7, 8]  # continued at step 5, not step 1
    assert [step for _, step in parse_metrics(out)["train_loss"]] == [5, 6, 7, 8]
    assert summary["global_step"] == 8
    assert_serving_layout(tmp_path / "model")


def test_resume_can_be_disabled(run_train: Any) -> None:
    run_train("--max-steps", "2", "--save-steps", "2")
    summary, _ = run_train("--max-steps", "2", "--save-steps", "2", "--resume", "false")
    assert summary["resumed_from"] is None


def _initial_weights(sm_train: ModuleType, tmp_path: Path, seq_len: int) -> dict[str, torch.Tensor]:
    """The random init train.py started from (same seed, same tokenizer)."""
    set_seed(42)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "checkpoints" / "tokenizer", local_files_only=True)
    config = sm_train.random_init_config("tiny-llama", tokenizer, seq_len)
    return AutoModelForCausalLM.from_config(config).state_dict()


def test_lora_trains_adapters_and_saves_merged_model(run_train: Any, sm_train: ModuleType, tmp_path: Path) -> None:
    summary, out = run_train("--lora", "true", "--lora-r", "4", "--lora-alpha", "8", model="tiny-llama")
    assert summary["peft"] == "lora"
    assert "trainable params" in out
    assert (tmp_path / "output" / "adapter" / "adapter_config.json").is_file()
    model_dir = tmp_path / "model"
    assert_serving_layout(model_dir)
    merged = load_file(model_dir / "model.safetensors")
    assert not any("lora" in key for key in merged)
    initial = _initial_weights(sm_train, tmp_path, 32)
    assert torch.equal(merged["model.embed_tokens.weight"], initial["model.embed_tokens.weight"])  # frozen
    assert torch.equal(merged["model.layers.0.mlp.up_proj.weight"], initial["model.layers.0.mlp.up_proj.weight"])
    q = "model.layers.0.self_attn.q_proj.weight"  # a PEFT default target: base + B @ A merged in
    assert not torch.allclose(merged[q], initial[q])


def test_full_fine_tune_updates_all_weights(run_train: Any, sm_train: ModuleType, tmp_path: Path) -> None:
    run_train(model="tiny-llama")
    merged = load_file(tmp_path / "model" / "model.safetensors")
    initial = _initial_weights(sm_train, tmp_path, 32)
    assert not torch.allclose(merged["model.embed_tokens.weight"], initial["model.embed_tokens.weight"])


def test_unpacked_training_pads_per_document(run_train: Any) -> None:
    # Sample documents are far shorter than 512 tokens: unpacked batches are mostly padding.
    summary, out = run_train(
        "--max-steps", "2", "--seq-len", "512", "--packing", "false", "--gradient-checkpointing", "true"
    )
    assert summary["packing"] is False and summary["global_step"] == 2
    assert 0 < summary["num_input_tokens_seen"] < 2 * 4 * 512 // 2  # padding is not counted
    assert "train_loss" in parse_metrics(out)


def test_runs_as_a_script_from_sagemaker_environment(tiny_argv: Any, sample_data: Path, tmp_path: Path) -> None:
    env = {
        "SM_CHANNEL_TRAIN": str(sample_data / "train"),
        "SM_CHANNEL_VALIDATION": None,
        "SM_MODEL_DIR": str(tmp_path / "model"),
        "SM_OUTPUT_DATA_DIR": str(tmp_path / "output"),
        "CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "SM_CURRENT_INSTANCE_TYPE": "ml.m5.xlarge",
        "CUDA_VISIBLE_DEVICES": "",
        "PYTHONPATH": None,  # SageMaker runs the script from its source directory alone
    }
    script = Path(__file__).resolve().parents[2] / "training" / "train.py"
    hyperparameters = "--model_config tiny-gpt2 --max_steps 2 --seq_len 32 --per_device_batch_size 2"
    hyperparameters += " --save_steps 1 --logging_steps 1"
    proc = run_python(str(script), *hyperparameters.split(), env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "backend=cpu" in proc.stdout
    assert [step for _, step in parse_metrics(proc.stdout)["train_loss"]] == [1, 2]
    assert "eval_loss" not in parse_metrics(proc.stdout)  # no validation channel
    assert_serving_layout(tmp_path / "model")
