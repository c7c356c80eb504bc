#!/usr/bin/env bash
# Train a tiny GPT from scratch on the example blog's posts (or on $CORPUS), on a CPU, in about
# a minute or two, then generate from it. No GPT-2 files needed: the tokenizer is a byte-level BPE
# trained on the same text. Output in runs/demo (or $OUT), made afresh on each run.
#
#   scripts/demo_gpt.sh [VENV_BIN]        e.g. scripts/demo_gpt.sh .venv/bin (the default)
#   CORPUS=path/to/texts STEPS=600 scripts/demo_gpt.sh
# CORPUS and OUT are relative to the repository root, where the script runs.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$(cd "${1:-$ROOT/.venv/bin}" && pwd)"
if [[ ! -x "$BIN/scratchgpt" ]]; then
    echo "demo_gpt.sh: no scratchgpt in $BIN; run 'make setup' first, or name the venv's bin" >&2
    exit 1
fi
cd "$ROOT"
CORPUS="${CORPUS:-examples/site/posts}"
OUT="${OUT:-runs/demo}"
STEPS="${STEPS:-300}"   # about a minute on two CPU cores
PROMPT="${PROMPT:-The attention}"
# The sentence whose attention the example blog's posts show, and where the view's files go
# (examples/site/static/attention/, ignored by git: `make demo-blog` publishes them).
ATTENTION_TEXT="${ATTENTION_TEXT:-The model attends to the tokens before it, never to the ones after.}"
ATTENTION_OUT="${ATTENTION_OUT:-examples/site/static/attention}"

rm -rf "$OUT"
"$BIN/scratchgpt" prepare "$CORPUS" -o "$OUT/data" --train-tokenizer 512
"$BIN/scratchgpt" train --data "$OUT/data" --out "$OUT/run" --preset tiny --max-steps "$STEPS" \
    device=cpu batch_size=16 lr=2e-3 min_lr=2e-4 warmup_steps=30 eval_interval=50 \
    eval_iters=10 log_interval=25 checkpoint_interval=150 sample_prompt="$PROMPT" \
    model.emb_dropout=0.2 model.resid_dropout=0.2
echo
echo "Loss curve: $OUT/run/loss.png    metrics: $OUT/run/metrics.jsonl"
echo "Sample from $OUT/run/latest:"
"$BIN/scratchgpt" generate "$OUT/run/latest" --prompt "$PROMPT" --max-new-tokens 80 \
    --temperature 0.8 --top-k 40 --seed 1
echo
"$BIN/scratchgpt" attention "$OUT/run/latest" "$ATTENTION_TEXT" \
    --json "$ATTENTION_OUT/demo.json"
echo "The example posts on causal and multi-head attention show $ATTENTION_OUT/demo.json;"
echo "build the blog again to see them: make demo-blog"
