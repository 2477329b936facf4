#!/usr/bin/env bash
# Trains the embedded default model from random initialisation with this project's own trainer.
#
#   scripts/train_default_model.sh [OUT_DIR]      (default build/default-model)
#
# 1. a BERT encoder with random weights: 2 layers, hidden 256, 4 heads, FFN 1024, the bert-base-uncased
#    WordPiece vocabulary from ../shared/data, mean pooling, Normalize (scripts/make_bench_model.py);
# 2. PAIRS positive pairs (scripts/default_model_data.py): WordNet words, definitions, examples,
#    synonyms and hypernyms; CLINC150 and SNIPS utterances of one intent and intent names; STS-B train
#    pairs scored 4 or more. Never read: Banking77, TREC and the STS-B dev split (the held-out evaluation);
# 3. `fewshot train --loss mnrl` on those pairs (one epoch, batch 64, in-batch negatives, no duplicate
#    text in a batch), then `fewshot train --loss cosent` on STS-B train (3 epochs);
# 4. the weights stored as float16 (half the size; embeddings change by under 1e-3), and recipe.json
#    recording the recipe, data, seed, commit and wall times.
#
# Every step is seeded: on the CPU, one seed and one thread count give the same weights twice.
#
# Environment:
#   SEED (0), PAIRS (400000), STEPS1 (0: one epoch over PAIRS), EPOCHS2 (3), THREADS (one per core),
#   DEVICE (auto: CUDA where it exists), FEWSHOT_SHARED_DATA (../shared/data), WORDNET (/usr/share/wordnet)
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-build/default-model}
SEED=${SEED:-0}
PAIRS=${PAIRS:-400000}
STEPS1=${STEPS1:-0}
EPOCHS2=${EPOCHS2:-3}
THREADS=${THREADS:-0}
DEVICE=${DEVICE:-auto}
DATA=${FEWSHOT_SHARED_DATA:-../shared/data}
WORDNET=${WORDNET:-/usr/share/wordnet}
PY=/usr/bin/python3

[ -d "$DATA/classification" ] || { echo "train_default_model.sh: no data at $DATA (set FEWSHOT_SHARED_DATA)" >&2; exit 1; }
[ -f "$WORDNET/data.noun" ] || { echo "train_default_model.sh: no WordNet at $WORDNET (apt install wordnet-base)" >&2; exit 1; }
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
	echo "train_default_model.sh: $OUT is not empty" >&2
	exit 1
fi
mkdir -p "$OUT"
WORK=$OUT/work
mkdir -p "$WORK"
BIN=$WORK/fewshot
go build -o "$BIN" ./cmd/fewshot

start=$SECONDS
stamp() { echo "train_default_model: $(date -u +%H:%M:%S) +$((SECONDS - start)) s: $*" >&2; }

stamp "pairs"
$PY scripts/default_model_data.py "$WORK/pairs.jsonl" --seed "$SEED" --pairs "$PAIRS" --wordnet "$WORDNET" --data "$DATA" 2>"$WORK/pairs.log"
cat "$WORK/pairs.log" >&2

stamp "random initialisation"
$PY scripts/make_bench_model.py "$WORK/init" --seed "$SEED" --layers 2 --hidden 256 --heads 4 --intermediate 1024 --max-seq-length 128 >/dev/null

common=(--device "$DEVICE" --threads "$THREADS" --seed "$SEED" --save-every 500 --keep 1 --log-every 50)
steps1=()
[ "$STEPS1" -gt 0 ] && steps1=(--max-steps "$STEPS1")

stamp "stage 1: mnrl on $PAIRS pairs"
t1=$SECONDS
"$BIN" train --model "$WORK/init" --data "$WORK/pairs.jsonl" --loss mnrl --batch-size 64 --lr 1e-3 \
	--warmup-ratio 0.05 --max-seq-length 64 --out "$WORK/stage1" "${common[@]}" "${steps1[@]}"
t1=$((SECONDS - t1))

stamp "stage 2: cosent on STS-B train"
t2=$SECONDS
"$BIN" train --model "$WORK/stage1" --data "$DATA/similarity/stsbenchmark/sts-train.csv" --format stsb \
	--loss cosent --batch-size 32 --lr 1e-4 --epochs "$EPOCHS2" --max-seq-length 128 --out "$WORK/stage2" "${common[@]}"
t2=$((SECONDS - t2))

stamp "float16 copy"
$PY scripts/default_model_pack.py "$WORK/stage2" "$OUT"
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
$PY - "$OUT/recipe.json" <<EOF
import json, sys
json.dump({
    "recipe": "scripts/train_default_model.sh",
    "commit": "$commit",
    "seed": $SEED,
    "pairs": $PAIRS,
    "architecture": "BERT, 2 layers, hidden 256, 4 heads, FFN 1024, bert-base-uncased vocabulary, mean pooling, Normalize",
    "stage1": "fewshot train --loss mnrl --batch-size 64 --lr 1e-3 --warmup-ratio 0.05 --max-seq-length 64, one epoch over the pairs",
    "stage2": "fewshot train --loss cosent --batch-size 32 --lr 1e-4 --epochs $EPOCHS2 on STS-B train",
    "data": ["WordNet 3.0 (Princeton WordNet licence)", "CLINC150 train+val (CC BY 3.0)", "SNIPS train (CC0)",
             "STS benchmark train (per-source terms, see README)"],
    "held_out": ["Banking77", "TREC", "STS benchmark dev"],
    "device": "$DEVICE",
    "stage1_seconds": $t1,
    "stage2_seconds": $t2,
    "weights": "float16",
}, open(sys.argv[1], "w"), indent=2)
EOF
stamp "done: $OUT ($(du -sh "$OUT" --exclude=work | cut -f1))"
