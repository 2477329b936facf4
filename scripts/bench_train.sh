#!/usr/bin/env bash
# Training-step throughput: `fewshot train` (default oneDNN linears, and --cpu-mode plain; CosineSimilarityLoss, batch 32, AdamW, clipping, no dropout)
# against the same steps in Python PyTorch on the same libtorch and thread count (scripts/bench_train.py),
# on a MiniLM-L6-shaped random model and STS-B train pairs, in one run, several times. Reports the median
# pairs/s of each (the Go figure is the trainer's own examples_per_s from metrics.jsonl, first record
# dropped) and their ratio.
# Usage: scripts/bench_train.sh [runs=3] [threads=$(nproc)] [steps=30]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
threads=${2:-$(nproc)}
steps=${3:-30}
shared=${FEWSHOT_SHARED_DATA:-../shared/data}
work=build/bench
mkdir -p "$work"
go build -o "$work/fewshot" ./cmd/fewshot
[ -f "$work/minilm-random/model.safetensors" ] || /usr/bin/python3 scripts/make_bench_model.py "$work/minilm-random" >/dev/null
sts="$shared/similarity/stsbenchmark/sts-train.csv"
awk -F'\t' '{print $6}' "$sts" >"$work/train-a.txt"
awk -F'\t' '{print $7}' "$sts" >"$work/train-b.txt"
awk -F'\t' '{print $5}' "$sts" >"$work/train-scores.txt"
"$work/fewshot" tokenize --model "$work/minilm-random" --json --input "$work/train-a.txt" >"$work/train-a.jsonl"
"$work/fewshot" tokenize --model "$work/minilm-random" --json --input "$work/train-b.txt" >"$work/train-b.jsonl"
export OMP_NUM_THREADS=$threads
: >"$work/train-go.txt"
: >"$work/train-py.txt"
for i in $(seq "$runs"); do
  for mode in fast plain; do
    rm -rf "$work/train-out"
    "$work/fewshot" train --model "$work/minilm-random" --data "$sts" --loss cosine --score-range 0,5 --batch-size 32 \
      --max-steps "$steps" --no-dropout --log-every 5 --save-every 0 --threads "$threads" --device cpu --seed "$i" \
      --cpu-mode "$mode" --out "$work/train-out" >/dev/null 2>&1
    /usr/bin/python3 -c 'import json,statistics,sys; r=[json.loads(l) for l in open(sys.argv[1]) if "examples_per_s" in l][1:]; print("%s\t%.1f" % (sys.argv[2], statistics.median(x["examples_per_s"] for x in r)))' "$work/train-out/metrics.jsonl" "$mode" >>"$work/train-go.txt"
  done
  /usr/bin/python3 scripts/bench_train.py "$work/minilm-random" "$work/train-a.jsonl" "$work/train-b.jsonl" "$work/train-scores.txt" \
    --steps "$steps" --threads "$threads" >>"$work/train-py.txt"
done
/usr/bin/python3 - "$work" "$runs" "$threads" <<'PY'
import statistics, sys
work, runs, threads = sys.argv[1:4]
rows = [l.split("\t") for l in open(f"{work}/train-go.txt")]
go = [float(v) for m, v in rows if m == "fast"]
plain = [float(v) for m, v in rows if m == "plain"]
py = [float(l.split("\t")[1]) for l in open(f"{work}/train-py.txt")]
print(f"training steps, batch 32 pairs, {threads} threads, {runs} runs (pairs/s: median [min, max])")
print(f"fewshot train (oneDNN linears):   {statistics.median(go):8.1f}  [{min(go):.1f}, {max(go):.1f}]")
print(f"fewshot train --cpu-mode plain:   {statistics.median(plain):8.1f}  [{min(plain):.1f}, {max(plain):.1f}]")
print(f"python torch:                     {statistics.median(py):8.1f}  [{min(py):.1f}, {max(py):.1f}]")
print(f"ratio fewshot / python: {statistics.median(go) / statistics.median(py):.2f} (plain: {statistics.median(plain) / statistics.median(py):.2f})")
PY
