"""Fine-tune a causal LM on sanitized JSON lines; the SageMaker training entry point.

Follows the SageMaker training contract, so the same script runs in a training job and locally:
inputs from ``SM_CHANNEL_TRAIN`` / ``SM_CHANNEL_VALIDATION`` (optional ``SM_CHANNEL_MODEL`` with
a base model), the serving-ready model to ``SM_MODEL_DIR``, extra outputs to
``SM_OUTPUT_DATA_DIR``, checkpoints to ``/opt/ml/checkpoints`` (synced to S3 by the job's
``CheckpointConfig``; a restarted spot job resumes from the newest one). Hyperparameters arrive
as ``--name value`` arguments. Metric lines (``METRIC train_loss=... step=N``) are parsed by the
regexes in ``pipeline_stacks/training_metrics.py``. See ``training/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from sm_common import (
    Collator,
    HyperparameterParser,
    emit_metric,
    env_default,
    format_record,
    read_records,
    resolve_model_dir,
    tokenize_texts,
)
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    GPT2Config,
    LlamaConfig,
    PreTrainedTokenizerFast,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

DEFAULT_CHECKPOINT_DIR = "/opt/ml/checkpoints"
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")
TINY_CONFIGS = ("tiny-llama", "tiny-gpt2")
NEURON_FAMILIES = ("trn1", "trn1n", "trn2")
GPU_FAMILIES = ("p3", "p4d", "p4de", "p5", "p5e", "p5en", "p6", "g4dn", "g5", "g6", "g6e")
SPECIAL_TOKENS = {"bos_token": "<|bos|>", "eos_token": "<|endoftext|>", "pad_token": "<|pad|>", "unk_token": "<|unk|>"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Hyperparameters and SageMaker paths; ``--a-b`` and ``--a_b`` spellings are both accepted."""
    p = HyperparameterParser(description=__doc__.splitlines()[0])
    p.option(
        "model-name-or-path",
        default=env_default("SM_CHANNEL_MODEL", None),
        help="local base model dir or model.tar.gz (default: SM_CHANNEL_MODEL); never downloaded",
    )
    p.option(
        "model-config",
        default=None,
        help="random init instead of a base model: tiny-llama, tiny-gpt2 or a config.json path",
    )
    p.option("tokenizer-vocab-size", type=int, default=512, help="vocab of the BPE trained locally with --model-config")
    p.option("train-dir", default=env_default("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    p.option("validation-dir", default=env_default("SM_CHANNEL_VALIDATION", None))
    p.option("model-dir", default=env_default("SM_MODEL_DIR", "/opt/ml/model"))
    p.option("output-data-dir", default=env_default("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"))
    p.option("checkpoint-dir", default=env_default("CHECKPOINT_DIR", DEFAULT_CHECKPOINT_DIR))
    p.option("epochs", type=float, default=1.0)
    p.option("max-steps", type=int, default=-1, help="overrides --epochs when > 0")
    p.option("learning-rate", type=float, default=5e-5)
    p.option("weight-decay", type=float, default=0.0)
    p.option("warmup-steps", type=int, default=0)
    p.option("lr-scheduler", default="linear")
    p.option("per-device-batch-size", type=int, default=4)
    p.option("per-device-eval-batch-size", type=int, default=None)
    p.option("gradient-accumulation-steps", type=int, default=1)
    p.option("seq-len", type=int, default=1024)
    p.option("peft", choices=("none", "lora"), default="none", help="parameter-efficient method")
    p.flag("lora", default=False, help="shorthand for --peft lora")
    p.option("lora-r", type=int, default=16)
    p.option("lora-alpha", type=int, default=32)
    p.option("lora-dropout", type=float, default=0.05)
    p.option("lora-target-modules", default="auto", help="comma list, or auto (PEFT's per-architecture default)")
    p.flag("merge-lora", default=True, help="merge adapters into the saved model")
    p.flag("packing", default=True, help="concatenate documents and cut seq-len blocks")
    p.flag("gradient-checkpointing", default=False, help="recompute activations")
    p.option(
        "bf16", choices=("auto", "true", "false"), default="auto", help="auto: on CUDA with bf16 support and on Neuron"
    )
    p.option(
        "save-dtype",
        choices=("auto", "bfloat16", "float32"),
        default="auto",
        help="auto: bfloat16 when training in bf16",
    )
    p.option(
        "backend",
        choices=("auto", "cpu", "cuda", "neuron"),
        default="auto",
        help="auto: from SM_CURRENT_INSTANCE_TYPE (trn* -> neuron), else CUDA when available",
    )
    p.option("tensor-parallel-size", type=int, default=1, help="Neuron only (optimum-neuron)")
    p.option("logging-steps", type=int, default=10)
    p.option("save-steps", type=int, default=100)
    p.option("eval-steps", type=int, default=None, help="default: --save-steps")
    p.option("save-total-limit", type=int, default=2)
    p.flag("resume", default=True, help="resume from the newest complete checkpoint-N")
    p.option("dataloader-num-workers", type=int, default=0)
    p.option("seed", type=int, default=42)
    args = p.parse_lenient(argv)
    if args.lora:
        args.peft = "lora"
    if not (args.model_name_or_path or args.model_config):
        p.error("give --model-name-or-path (or an S3 'model' channel) or --model-config")
    return args


def current_instance_type() -> str | None:
    """``SM_CURRENT_INSTANCE_TYPE``, else ``resourceconfig.json`` of the job, else None (local run)."""
    if os.environ.get("SM_CURRENT_INSTANCE_TYPE"):
        return os.environ["SM_CURRENT_INSTANCE_TYPE"]
    config = Path("/opt/ml/input/config/resourceconfig.json")
    if config.is_file():
        return json.loads(config.read_text()).get("current_instance_type")
    return None


def select_backend(requested: str, instance_type: str | None, cuda_available: bool) -> str:
    """``neuron`` on Trainium families, ``cuda`` on GPU families or when a GPU is visible, else ``cpu``."""
    if requested != "auto":
        return requested
    family = instance_type.removeprefix("ml.").split(".")[0] if instance_type else ""
    if family in NEURON_FAMILIES:
        return "neuron"
    if family in GPU_FAMILIES and not cuda_available:
        raise RuntimeError(f"{instance_type} is a GPU instance but torch sees no CUDA device")
    return "cuda" if cuda_available else "cpu"


def use_bf16(setting: str, backend: str, cuda_bf16: bool) -> bool:
    """Resolve ``--bf16``: Trainium always has bf16, CUDA only from Ampere on, CPU runs fp32."""
    if setting != "auto":
        return setting == "true"
    return backend == "neuron" or (backend == "cuda" and cuda_bf16)


def latest_checkpoint(checkpoint_dir: str | Path) -> Path | None:
    """Newest complete ``checkpoint-N`` (``trainer_state.json`` is written last, so partial saves are skipped)."""
    root = Path(checkpoint_dir)
    if not root.is_dir():
        return None
    complete = [
        (int(m.group(1)), child)
        for child in root.iterdir()
        if (m := CHECKPOINT_RE.match(child.name)) and (child / "trainer_state.json").is_file()
    ]
    return max(complete)[1] if complete else None


def build_local_tokenizer(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Byte-level BPE trained on ``texts`` (no download; any input bytes stay encodable)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **SPECIAL_TOKENS)


def random_init_config(name: str, tokenizer: Any, seq_len: int) -> Any:
    """A tiny (2 layers x 64 dims) Llama/GPT-2 config, or a config.json, sized to ``tokenizer``."""
    ids = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "vocab_size": len(tokenizer),
    }
    positions = max(seq_len, 128)
    if name == "tiny-llama":
        return LlamaConfig(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=positions,
            tie_word_embeddings=False,
            **ids,
        )
    if name == "tiny-gpt2":
        return GPT2Config(n_embd=64, n_layer=2, n_head=2, n_positions=positions, **ids)
    return AutoConfig.from_pretrained(name, **ids)


def load_tokenizer(args: argparse.Namespace, texts: list[str]) -> Any:
    """Base model's tokenizer, or (random init) a BPE trained once and kept next to the checkpoints."""
    if args.model_name_or_path:
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_dir(args.model_name_or_path), local_files_only=True)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return tokenizer
    saved = Path(args.checkpoint_dir) / "tokenizer"
    if (saved / "tokenizer.json").is_file():
        return AutoTokenizer.from_pretrained(saved, local_files_only=True)
    tokenizer = build_local_tokenizer(texts, args.tokenizer_vocab_size)  # deterministic: same on every rank
    if int(os.environ.get("RANK", "0")) == 0:
        tokenizer.save_pretrained(saved)
    return tokenizer


def load_model(args: argparse.Namespace, tokenizer: Any, backend: str, bf16: bool) -> torch.nn.Module:
    """Pretrained base (frozen in bf16 under LoRA+bf16, fp32 master weights otherwise) or random init."""
    dtype = torch.bfloat16 if (bf16 and args.peft == "lora") else torch.float32
    if args.model_name_or_path:
        source = resolve_model_dir(args.model_name_or_path)
        if backend == "neuron":
            from optimum.neuron.distributed import lazy_load_for_parallelism

            with lazy_load_for_parallelism(tensor_parallel_size=args.tensor_parallel_size):
                return AutoModelForCausalLM.from_pretrained(source, dtype=dtype, local_files_only=True)
        return AutoModelForCausalLM.from_pretrained(source, dtype=dtype, local_files_only=True)
    config = random_init_config(args.model_config, tokenizer, args.seq_len)
    return AutoModelForCausalLM.from_config(config, dtype=dtype)


def apply_lora(model: torch.nn.Module, args: argparse.Namespace) -> Any:
    """``model`` wrapped in a PEFT LoRA model; only adapter weights train."""
    from peft import LoraConfig, get_peft_model

    targets = None if args.lora_target_modules == "auto" else [m.strip() for m in args.lora_target_modules.split(",")]
    config = LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


class MetricLines(TrainerCallback):
    """Prints ``METRIC`` lines on the main process; throughput counts training-step time only."""

    def __init__(self, use_cuda: bool) -> None:
        self.use_cuda = use_cuda
        self.step_started = 0.0
        self.step_seconds = 0.0
        self.tokens_at_last_log = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.tokens_at_last_log = state.num_input_tokens_seen

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.step_started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.use_cuda:
            torch.cuda.synchronize()
        self.step_seconds += time.perf_counter() - self.step_started

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        step = state.global_step
        for source, name in (("loss", "train_loss"), ("learning_rate", "learning_rate"), ("eval_loss", "eval_loss")):
            if source in logs:
                emit_metric(name, logs[source], step)
        if "loss" in logs and self.step_seconds > 0:
            tokens = state.num_input_tokens_seen - self.tokens_at_last_log
            emit_metric("tokens_per_second", tokens / self.step_seconds, step)
            self.tokens_at_last_log, self.step_seconds = state.num_input_tokens_seen, 0.0


@dataclass(frozen=True)
class TrainerKit:
    """Trainer and TrainingArguments classes for a backend, plus backend-only arguments."""

    trainer_cls: type
    args_cls: type
    extra_args: dict[str, Any]


def trainer_kit(backend: str, tensor_parallel_size: int) -> TrainerKit:
    """Transformers' Trainer, or optimum-neuron's NeuronTrainer on Trainium (imported only there)."""
    if backend == "neuron":
        os.environ.setdefault("NEURON_CC_FLAGS", "--model-type=transformer")
        from optimum.neuron import NeuronTrainer, NeuronTrainingArguments

        return TrainerKit(NeuronTrainer, NeuronTrainingArguments, {"tensor_parallel_size": tensor_parallel_size})
    return TrainerKit(Trainer, TrainingArguments, {"use_cpu": backend == "cpu"})


def checkpointing_args(args_cls: type, enabled: bool) -> dict[str, Any]:
    """Activation (gradient) checkpointing arguments, under the name this transformers version uses."""
    if not enabled:
        return {}
    names = {f.name for f in dataclasses.fields(args_cls)}
    prefix = "activation_checkpointing" if "activation_checkpointing" in names else "gradient_checkpointing"
    return {prefix: True, f"{prefix}_kwargs": {"use_reentrant": False}}


def save_for_serving(trainer: Any, tokenizer: Any, args: argparse.Namespace, backend: str, bf16: bool) -> None:
    """Write config.json, model.safetensors (LoRA merged) and tokenizer files to the model dir.

    That is the layout HF TGI / DJL LMI containers load. The unmerged adapter also goes to
    ``<output-data-dir>/adapter``. Call on every rank; only the main process writes.
    """
    model_dir = Path(args.model_dir)
    if backend == "neuron" and args.tensor_parallel_size > 1:
        trainer.save_model(str(model_dir))  # sharded; consolidate with `optimum-cli neuron consolidate`
        return
    if not trainer.is_world_process_zero():
        return
    model = trainer.accelerator.unwrap_model(trainer.model).to("cpu")
    if args.peft == "lora":
        model.save_pretrained(Path(args.output_data_dir) / "adapter")
        if not args.merge_lora:
            model.save_pretrained(model_dir)
            tokenizer.save_pretrained(model_dir)
            return
        model = model.merge_and_unload()
    save_dtype = {
        "auto": torch.bfloat16 if bf16 else torch.float32,
        "bfloat16": torch.bfloat16,
        "float32": torch.float32,
    }[args.save_dtype]
    model = model.to(save_dtype)
    model.config.use_cache = True
    model.save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)


def main(argv: list[str] | None = None, callbacks: list[TrainerCallback] | None = None) -> dict[str, Any]:
    """Train, evaluate, save; returns a summary (also written to ``training_summary.json``)."""
    args = parse_args(argv)
    set_seed(args.seed)
    backend = select_backend(args.backend, current_instance_type(), torch.cuda.is_available())
    bf16 = use_bf16(args.bf16, backend, backend == "cuda" and torch.cuda.is_bf16_supported())
    kit = trainer_kit(backend, args.tensor_parallel_size)

    train_texts = [format_record(r) for r in read_records(args.train_dir)]
    tokenizer = load_tokenizer(args, train_texts)
    train_set = tokenize_texts(train_texts, tokenizer, args.seq_len, args.packing)
    eval_set = None
    if args.validation_dir:
        eval_texts = [format_record(r) for r in read_records(args.validation_dir)]
        eval_set = tokenize_texts(eval_texts, tokenizer, args.seq_len, args.packing)
    if not train_set:
        raise ValueError(f"no training text under {args.train_dir}")

    model = load_model(args, tokenizer, backend, bf16)
    if args.peft == "lora":
        model = apply_lora(model, args)
        model.print_trainable_parameters()

    training_args = kit.args_cls(
        output_dir=args.checkpoint_dir,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.learning_rate,
        weight_decay=args.weight_decay,
        warmup_steps=args.warmup_steps,
        lr_scheduler_type=args.lr_scheduler,
        per_device_train_batch_size=args.per_device_batch_size,
        per_device_eval_batch_size=args.per_device_eval_batch_size or args.per_device_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        bf16=bf16,
        logging_steps=args.logging_steps,
        save_strategy="steps",
        save_steps=args.save_steps,
        save_total_limit=args.save_total_limit,
        eval_strategy="steps" if eval_set else "no",
        eval_steps=args.eval_steps or args.save_steps,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=args.dataloader_num_workers,
        ddp_find_unused_parameters=False,
        report_to="none",
        disable_tqdm=True,
        seed=args.seed,
        **checkpointing_args(kit.args_cls, args.gradient_checkpointing),
        **kit.extra_args,
    )
    trainer = kit.trainer_cls(
        model=model,
        args=training_args,
        data_collator=Collator(tokenizer.pad_token_id),
        train_dataset=train_set,
        eval_dataset=eval_set,
        processing_class=tokenizer,
        callbacks=[MetricLines(use_cuda=backend == "cuda"), *(callbacks or [])],
    )
    resume_from = latest_checkpoint(args.checkpoint_dir) if args.resume else None
    if trainer.is_world_process_zero():
        print(
            f"backend={backend} bf16={bf16} peft={args.peft} train_examples={len(train_set)} "
            f"resume_from={resume_from or 'none'}",
            flush=True,
        )
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    summary: dict[str, Any] = {
        "backend": backend,
        "bf16": bf16,
        "peft": args.peft,
        "packing": args.packing,
        "global_step": trainer.state.global_step,
        "resumed_from": str(resume_from) if resume_from else None,
        "train_loss": result.training_loss,
        "num_input_tokens_seen": trainer.state.num_input_tokens_seen,
    }
    if eval_set:
        final_step_evals = [
            h["eval_loss"]
            for h in trainer.state.log_history
            if "eval_loss" in h and h.get("step") == trainer.state.global_step
        ]
        # trainer.evaluate() logs, so MetricLines prints its eval_loss line too.
        summary["eval_loss"] = final_step_evals[-1] if final_step_evals else trainer.evaluate()["eval_loss"]
    save_for_serving(trainer, tokenizer, args, backend, bf16)
    if trainer.is_world_process_zero():
        out = Path(args.output_data_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "training_summary.json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
