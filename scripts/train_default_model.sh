#!/usr/bin/env bash
# Trains the embedded default model from random initialisation with this project's own trainer.
#
#   scripts/train_default_model.sh [OUT_DIR]      (default build/default-model)
#
# 1. a BERT encoder with random weights: 2 layers, hidden 256, 4 heads, FFN 1024, the bert-base-uncased
#    WordPiece vocabulary from ../shared/data, mean pooling, Normalize (scripts/make_bench_model.py);
# 2. training data (scripts/default_model_data.py): PAIRS positive pairs from WordNet (words,
#    definitions, examples, synonyms, hypernyms), CLINC150 and SNIPS (utterances of one intent, intent
#    names) and STS-B train (pairs scored 3.8 or more); CROPS pairs of two random spans of one sentence.
#    Never read: Banking77, TREC and the STS-B dev split (the held-out evaluation);
# 3. `fewshot train` stages: MultipleNegativesRankingLoss on the pairs (stage1: one epoch, batch 64, lr
#    1e-3, no duplicate text in a batch); then two branches from stage1, each a second MNRL pass over a
#    second draw of PAIRS pairs (data seed SEED+1; stage1b: batch 64, lr 5e-4; stage1c: batch 256, lr 1e-3),
#    the same loss on the span pairs (stage2, stage2c: one epoch, lr 3e-4) and two fine-tunes on STS-B train
#    (EPOCHS2 epochs each): CoSENT at lr 1e-4 (stage3, stage3c) and CosineSimilarityLoss at lr 2e-4
#    (stage3b, stage3d);
# 4. the element-wise mean of those four fine-tunes' weights (a uniform model soup: about one point of
#    Banking77 5-shot over any one of them) stored as float16 (half the size), a model card and
#    recipe.json recording the recipe, stages, data, seed, the commit each stage ran at, and wall times.
#
# Every step is seeded: on the CPU, one seed and one thread count give the same weights twice. A stage
# whose output folder holds a finished model is skipped and an interrupted one resumes from its last
# checkpoint, so after a crash the same command carries on. With INSTALL=1 the result replaces the
# embedded model, model/defaultmodel/files (then rebuild fewshot).
#
# Environment:
#   SEED (0), PAIRS (400000), CROPS (160000), EPOCHS2 (3), THREADS (one per core), DEVICE (auto: CUDA where
#   it exists), FEWSHOT_SHARED_DATA (../shared/data), WORDNET (/usr/share/wordnet), INSTALL (0)
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${1:-build/default-model}
SEED=${SEED:-0}
PAIRS=${PAIRS:-400000}
CROPS=${CROPS:-160000}
EPOCHS2=${EPOCHS2:-3}
THREADS=${THREADS:-0}
DEVICE=${DEVICE:-auto}
DATA=${FEWSHOT_SHARED_DATA:-../shared/data}
WORDNET=${WORDNET:-/usr/share/wordnet}
PY=/usr/bin/python3

[ -d "$DATA/classification" ] || { echo "train_default_model.sh: no data at $DATA (set FEWSHOT_SHARED_DATA)" >&2; exit 1; }
[ -f "$WORDNET/data.noun" ] || { echo "train_default_model.sh: no WordNet at $WORDNET (apt install wordnet-base)" >&2; exit 1; }
WORK=$OUT/work
mkdir -p "$WORK"
BIN=$WORK/fewshot
go build -o "$BIN" ./cmd/fewshot

start=$SECONDS
stamp() { echo "train_default_model: $(date -u +%H:%M:%S) +$((SECONDS - start)) s: $*" >&2; }

stamp "training data"
$PY scripts/default_model_data.py "$WORK/pairs.jsonl" --seed "$SEED" --pairs "$PAIRS" --crops "$WORK/crops.jsonl" \
	--crop-pairs "$CROPS" --wordnet "$WORDNET" --data "$DATA" 2>"$WORK/data.log"
cat "$WORK/data.log" >&2
$PY scripts/default_model_data.py "$WORK/pairs2.jsonl" --seed "$((SEED + 1))" --pairs "$PAIRS" --wordnet "$WORDNET" \
	--data "$DATA" 2>"$WORK/data2.log"

if [ ! -f "$WORK/init/model.safetensors" ]; then
	stamp "random initialisation"
	$PY scripts/make_bench_model.py "$WORK/init" --seed "$SEED" --layers 2 --hidden 256 --heads 4 --intermediate 1024 \
		--max-seq-length 128 >/dev/null
fi

common=(--device "$DEVICE" --threads "$THREADS" --seed "$SEED" --save-every 500 --keep 1 --log-every 50)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':!model/defaultmodel/files' 2>/dev/null || commit="$commit (with uncommitted changes)"
declare -A took ran_at
order=() # the stages in the order they ran, for recipe.json

# stage NAME ARGS...: fewshot train --out $WORK/NAME ARGS..., skipped when finished, resumed when interrupted.
stage() {
	local name=$1 out=$WORK/$1 t=$SECONDS
	shift
	order+=("$name")
	if [ -f "$out/model.safetensors" ]; then
		stamp "$name: finished before, kept"
		took[$name]=$(cat "$out/wall_seconds" 2>/dev/null || echo null)
		ran_at[$name]=$(cat "$out/commit" 2>/dev/null || echo unknown)
		return
	fi
	local resume=()
	if [ -d "$out/checkpoints" ] && [ -n "$(ls -A "$out/checkpoints")" ]; then
		resume=(--resume "$out")
		stamp "$name: resuming"
	else
		rm -rf "$out"
		stamp "$name"
	fi
	"$BIN" train "$@" --out "$out" "${common[@]}" "${resume[@]}"
	took[$name]=$((SECONDS - t))
	ran_at[$name]=$commit
	echo "${took[$name]}" >"$out/wall_seconds"
	echo "$commit" >"$out/commit"
}

stage stage1 --model "$WORK/init" --data "$WORK/pairs.jsonl" --loss mnrl --batch-size 64 --lr 1e-3 \
	--warmup-ratio 0.05 --max-seq-length 64
sts=(--data "$DATA/similarity/stsbenchmark/sts-train.csv" --format stsb --batch-size 32 --epochs "$EPOCHS2"
	--max-seq-length 128)
# branch B S2 S3 S3B BATCH LR: from stage 1, a second MNRL pass over pairs2 at BATCH and LR (stage B), the
# span pairs (S2), and two STS-B fine-tunes of that: CoSENT (S3) and CosineSimilarityLoss (S3B).
branch() {
	local b=$1 s2=$2 s3=$3 s3b=$4 batch=$5 lr=$6
	stage "$b" --model "$WORK/stage1" --data "$WORK/pairs2.jsonl" --loss mnrl --batch-size "$batch" --lr "$lr" \
		--warmup-ratio 0.02 --max-seq-length 64
	stage "$s2" --model "$WORK/$b" --data "$WORK/crops.jsonl" --loss mnrl --batch-size 64 --lr 3e-4 \
		--warmup-ratio 0.05 --max-seq-length 64
	stage "$s3" --model "$WORK/$s2" "${sts[@]}" --loss cosent --lr 1e-4
	stage "$s3b" --model "$WORK/$s2" "${sts[@]}" --loss cosine --lr 2e-4
}
branch stage1b stage2 stage3 stage3b 64 5e-4
branch stage1c stage2c stage3c stage3d 256 1e-3

soup=(stage3 stage3b stage3c stage3d)
stamp "mean of ${soup[*]}, as float16"
rm -rf "$OUT/model.safetensors"
$PY scripts/default_model_pack.py "$OUT" "${soup[@]/#/$WORK/}"
commits=""
seconds=""
for name in "${order[@]}"; do
	commits+="\"$name\": \"${ran_at[$name]}\", "
	seconds+="\"$name\": ${took[$name]}, "
done
$PY - "$OUT/recipe.json" <<EOF
import json, sys
json.dump({
    "recipe": "scripts/train_default_model.sh",
    "commit": "$commit",
    "stage_commits": {${commits%, }},
    "seed": $SEED,
    "architecture": "BERT, 2 layers, hidden 256, 4 heads, FFN 1024, bert-base-uncased vocabulary, mean pooling, Normalize",
    "stages": {
        "stage1": "fewshot train --loss mnrl --batch-size 64 --lr 1e-3 --warmup-ratio 0.05 --max-seq-length 64: one epoch over $PAIRS positive pairs (pairs.jsonl, data seed $SEED)",
        "stage1b": "from stage1: fewshot train --loss mnrl --batch-size 64 --lr 5e-4 --warmup-ratio 0.02 --max-seq-length 64: one epoch over a second draw of $PAIRS positive pairs (pairs2.jsonl, data seed $((SEED + 1)))",
        "stage2": "from stage1b: fewshot train --loss mnrl --batch-size 64 --lr 3e-4 --warmup-ratio 0.05 --max-seq-length 64: one epoch over $CROPS pairs of two random spans of one sentence",
        "stage3": "from stage2: fewshot train --loss cosent --batch-size 32 --lr 1e-4 --epochs $EPOCHS2 --max-seq-length 128 on STS-B train",
        "stage3b": "from stage2: fewshot train --loss cosine --batch-size 32 --lr 2e-4 --epochs $EPOCHS2 --max-seq-length 128 on STS-B train",
        "stage1c": "from stage1: fewshot train --loss mnrl --batch-size 256 --lr 1e-3 --warmup-ratio 0.02 --max-seq-length 64: one epoch over pairs2.jsonl",
        "stage2c": "from stage1c: as stage2",
        "stage3c": "from stage2c: as stage3",
        "stage3d": "from stage2c: as stage3b",
        "weights": "the element-wise mean of stage3, stage3b, stage3c and stage3d (a uniform model soup), stored as float16",
    },
    "data": ["WordNet 3.0 (Princeton WordNet licence)", "CLINC150 train+val (CC BY 3.0)", "SNIPS train (CC0)",
             "STS benchmark train (per-source terms, see the fewshot README)"],
    "held_out": ["Banking77", "TREC", "STS benchmark dev"],
    "device": "$DEVICE",
    "threads": "$THREADS",
    "seconds": {${seconds%, }},
    "weights": "float16",
}, open(sys.argv[1], "w"), indent=2)
EOF
cat >"$OUT/README.md" <<CARD
# fewshot default model

A small sentence-transformers model (BERT, 2 layers, hidden 256, mean pooling, normalised 256-d
embeddings) trained from random initialisation by fewshot's own trainer with
scripts/train_default_model.sh: MultipleNegativesRankingLoss on positive pairs from WordNet 3.0, CLINC150,
SNIPS and STS-B train, then (in two branches with different batch sizes) on a second draw of pairs and on
pairs of spans of one sentence, then fine-tuned on STS-B train with CoSENT and with CosineSimilarityLoss;
the weights are the mean of those four fine-tunes. recipe.json records the seed, data, the commit each stage ran at and wall times. Banking77, TREC and the STS-B dev split were held out for
evaluation; the fewshot README shows the measured quality beside a TF-IDF baseline. Pretrained hub
models such as all-MiniLM-L6-v2 are far stronger.

The tokenizer files (vocab.txt, tokenizer.json) are the bert-base-uncased WordPiece vocabulary and its
Hugging Face tokenizer.json, unchanged: the vocabulary is from google-research/bert (Apache-2.0), the
tokenizer.json as re-serialised in daulet/tokenizers (MIT).
CARD
stamp "done: $OUT ($(du -sh --exclude=work "$OUT" | cut -f1))"
if [ "${INSTALL:-0}" = 1 ]; then
	dst=model/defaultmodel/files
	rm -rf "$dst.new"
	mkdir -p "$dst.new"
	(cd "$OUT" && tar --exclude=./work -cf - .) | (cd "$dst.new" && tar -xf -)
	rm -rf "$dst.old"
	[ -d "$dst" ] && mv "$dst" "$dst.old"
	mv "$dst.new" "$dst"
	rm -rf "$dst.old"
	stamp "installed in $dst"
fi
