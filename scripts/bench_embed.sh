#!/usr/bin/env bash
# Embedding throughput: `fewshot embed` against the same model in Python PyTorch (Debian's python3-torch,
# the same libtorch 1.13, the same thread count, length-sorted batches of 32), on the same 2,000 mixed-length
# real sentences (STS-B train, both columns of the first 1,000 rows), in one run, several times.
#
# The model is MiniLM-L6-shaped (6 layers, 384 hidden, 12 heads, 1536 inner, bert-base-uncased vocabulary)
# with random weights, made by scripts/make_bench_model.py. The Go figure is the whole `fewshot embed`
# process (start-up, model load, tokenisation, forward, writing the .npy); the Python figure is the forward
# pass, pooling and copy-out only, on ids that `fewshot tokenize` produced: a conservative comparison.
# It also checks that both sides produce the same embeddings.
#
# Usage: scripts/bench_embed.sh [runs=5] [threads=$(nproc)] [extra fewshot embed flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
threads=${2:-$(nproc)}
shift $(( $# > 2 ? 2 : $# )) || true
extra=("$@")
shared=${FEWSHOT_SHARED_DATA:-../shared/data}
work=build/bench
mkdir -p "$work"
go build -o "$work/fewshot" ./cmd/fewshot
[ -f "$work/minilm-random/model.safetensors" ] || /usr/bin/python3 scripts/make_bench_model.py "$work/minilm-random" >/dev/null
head -n 1000 "$shared/similarity/stsbenchmark/sts-train.csv" | awk -F'\t' '{print $6; print $7}' >"$work/sentences.txt"
n=$(wc -l <"$work/sentences.txt")
"$work/fewshot" tokenize --model "$work/minilm-random" --json --input "$work/sentences.txt" >"$work/ids.jsonl"
export OMP_NUM_THREADS=$threads
: >"$work/go.txt"
: >"$work/py.txt"
for i in $(seq "$runs"); do
  s=$(date +%s.%N)
  "$work/fewshot" embed --model "$work/minilm-random" --device cpu --threads "$threads" --batch-size 32 \
    --input "$work/sentences.txt" --output "$work/go.npy" --format npy "${extra[@]}" 2>/dev/null
  e=$(date +%s.%N)
  echo "$s $e" | awk -v n="$n" '{printf "go\t%d\t%.3f\t%.1f\n", n, $2-$1, n/($2-$1)}' >>"$work/go.txt"
  /usr/bin/python3 scripts/bench_embed.py "$work/minilm-random" "$work/ids.jsonl" --threads "$threads" --out "$work/py.npy" >>"$work/py.txt"
done
/usr/bin/python3 - "$work" "$runs" "$threads" "$n" <<'PY'
import statistics, sys
import numpy as np
work, runs, threads, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
go = [float(l.split("\t")[3]) for l in open(f"{work}/go.txt")]
py = [float(l.split("\t")[3]) for l in open(f"{work}/py.txt")]
a, b = np.load(f"{work}/go.npy"), np.load(f"{work}/py.npy")
cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
print(f"{n} sentences, batch 32, {threads} threads, {runs} runs (sentences/s: median [min, max])")
print(f"fewshot embed (whole process): {statistics.median(go):8.1f}  [{min(go):.1f}, {max(go):.1f}]")
print(f"python torch (forward only):   {statistics.median(py):8.1f}  [{min(py):.1f}, {max(py):.1f}]")
print(f"ratio fewshot / python:        {statistics.median(go) / statistics.median(py):8.2f}")
print(f"embeddings: min cosine {cos.min():.7f}, max abs diff {np.abs(a - b).max():.2e}")
PY
