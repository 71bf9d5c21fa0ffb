#!/usr/bin/env bash
# Train a tiny randomly initialised Llama (2 layers x 64 dims, BPE tokenizer trained on the
# sample data) on training/sample_data, then evaluate it. Nothing is downloaded. Artifacts:
#   $LOCAL_TRAIN_DIR (default .local-train/): checkpoints/, model/, output/, evaluation/evaluation.json
# Extra arguments go to train.py (e.g. --lora, --max-steps 20). RESUME=1 keeps the folder, so
# the run resumes from the newest checkpoint instead of starting over. LOCAL_TRAIN_DATA: a folder with
# train/, validation/ and test/ JSON-lines (default training/sample_data; `make local` passes the sanitized lake).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${LOCAL_TRAIN_DIR:-$ROOT/.local-train}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DATA="${LOCAL_TRAIN_DATA:-$ROOT/training/sample_data}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
[[ "${RESUME:-0}" == 1 ]] || rm -rf "$OUT"

SM_CHANNEL_TRAIN="$DATA/train" SM_CHANNEL_VALIDATION="$DATA/validation" \
SM_MODEL_DIR="$OUT/model" SM_OUTPUT_DATA_DIR="$OUT/output" CHECKPOINT_DIR="$OUT/checkpoints" \
  "$PYTHON" "$ROOT/training/train.py" --model-config tiny-llama --seq-len 128 --per-device-batch-size 8 \
  --learning-rate 3e-3 --warmup-steps 5 --max-steps 120 --logging-steps 10 --save-steps 40 "$@"

"$PYTHON" "$ROOT/training/evaluate.py" --model-dir "$OUT/model" --test-dir "$DATA/test" \
  --output-dir "$OUT/evaluation" --seq-len 128 --max-new-tokens 48
echo "artifacts in $OUT (report: $OUT/evaluation/evaluation.json)"
