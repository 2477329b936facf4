#!/usr/bin/env bash
# Embedding throughput: `fewshot embed` in each CPU mode (--cpu-mode fast, plain, bf16, int8) against the
# same model in Python PyTorch (Debian's python3-torch, the same libtorch 1.13, the same thread count,
# length-sorted batches of 32), on the same 2,000 mixed-length real sentences (STS-B train, both columns of
# the first 1,000 rows), in one run, several times, the modes and Python interleaved within each round so
# that load from other work spreads over all of them.
#
# The model is MiniLM-L6-shaped (6 layers, 384 hidden, 12 heads, 1536 inner, bert-base-uncased vocabulary)
# with random weights, made by scripts/make_bench_model.py. The Go figure is the whole `fewshot embed`
# process (start-up, model load, int8 quantization, tokenisation, forward, writing the .npy); the Python
# figure is the forward pass, pooling and copy-out only, on ids that `fewshot tokenize` produced: a
# conservative comparison. It also compares each mode's embeddings with Python's, and reports the dense
# GFLOP/s of each mode (the linear layers' 2*(4H^2 + 2HI) FLOPs per real token per layer) as a share of the
# machine's float32 peak, $PEAK_GFLOPS (default: cores x GHz x 2 FMA units x 16 float32 lanes x 2, from
# lscpu's flags and the TSC frequency; see the README), twice: over the whole process time, and over the
# forward alone, the whole process less the median time of the same command on a one-sentence file
# (start-up, libtorch's loading, model load and packing).
#
# Usage: scripts/bench_embed.sh [runs=5] [threads=$(nproc)] [extra fewshot embed flags...]
# Env: MODES="fast plain bf16 int8" (the --cpu-mode values to time), PEAK_GFLOPS (override the peak).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
threads=${2:-$(nproc)}
shift $(( $# > 2 ? 2 : $# )) || true
extra=("$@")
modes=(${MODES:-fast plain bf16 int8})
shared=${FEWSHOT_SHARED_DATA:-../shared/data}
work=build/bench
mkdir -p "$work"
go build -o "$work/fewshot" ./cmd/fewshot
[ -f "$work/minilm-random/model.safetensors" ] || /usr/bin/python3 scripts/make_bench_model.py "$work/minilm-random" >/dev/null
head -n 1000 "$shared/similarity/stsbenchmark/sts-train.csv" | awk -F'\t' '{print $6; print $7}' >"$work/sentences.txt"
head -n 1 "$work/sentences.txt" >"$work/one.txt"
n=$(wc -l <"$work/sentences.txt")
"$work/fewshot" tokenize --model "$work/minilm-random" --json --input "$work/sentences.txt" >"$work/ids.jsonl"
export OMP_NUM_THREADS=$threads

# The float32 peak: AVX-512 (16 lanes) or AVX2 (8), two FMA units, two FLOPs per FMA, at the TSC rate.
if [ -z "${PEAK_GFLOPS:-}" ]; then
  lanes=8
  grep -qw avx512f /proc/cpuinfo && lanes=16
  mhz=$(awk -F: '/^bogomips/ {print $2 / 2; exit}' /proc/cpuinfo)
  PEAK_GFLOPS=$(awk -v t="$threads" -v m="$mhz" -v l="$lanes" 'BEGIN {printf "%.0f", t * m / 1000 * 2 * l * 2}')
  peak_note="$threads cores x $(awk -v m="$mhz" 'BEGIN {printf "%.2f", m / 1000}') GHz x 2 FMA x $lanes lanes x 2"
else
  peak_note="PEAK_GFLOPS"
fi

: >"$work/go.txt"
: >"$work/startup.txt"
: >"$work/py.txt"
for i in $(seq "$runs"); do
  for mode in "${modes[@]}"; do
    s=$(date +%s.%N)
    "$work/fewshot" embed --model "$work/minilm-random" --device cpu --threads "$threads" --batch-size 32 \
      --input "$work/sentences.txt" --output "$work/go-$mode.npy" --format npy --cpu-mode "$mode" "${extra[@]}" \
      2>"$work/go-$mode.err"
    e=$(date +%s.%N)
    echo "$s $e" | awk -v n="$n" -v m="$mode" '{printf "%s\t%d\t%.3f\t%.1f\n", m, n, $2-$1, n/($2-$1)}' >>"$work/go.txt"
    s=$(date +%s.%N)
    "$work/fewshot" embed --model "$work/minilm-random" --device cpu --threads "$threads" --batch-size 32 \
      --input "$work/one.txt" --output "$work/one-$mode.npy" --format npy --cpu-mode "$mode" "${extra[@]}" 2>/dev/null
    e=$(date +%s.%N)
    echo "$s $e" | awk -v m="$mode" '{printf "%s\t%.3f\n", m, $2-$1}' >>"$work/startup.txt"
  done
  /usr/bin/python3 scripts/bench_embed.py "$work/minilm-random" "$work/ids.jsonl" --threads "$threads" --out "$work/py.npy" >>"$work/py.txt"
done
/usr/bin/python3 - "$work" "$runs" "$threads" "$n" "$PEAK_GFLOPS" "$peak_note" "${modes[@]}" <<'PY'
import json, statistics, sys
import numpy as np
work, runs, threads, n, peak, peak_note = sys.argv[1:7]
modes = sys.argv[7:]
peak = float(peak)
H, I, L = 384, 1536, 6
tokens = sum(len(json.loads(l)["ids"]) for l in open(f"{work}/ids.jsonl") if l.strip())
gflop = tokens * 2 * (4 * H * H + 2 * H * I) * L / 1e9
go = {m: [] for m in modes}
secs = {m: [] for m in modes}
for l in open(f"{work}/go.txt"):
    f = l.split("\t")
    go[f[0]].append(float(f[3]))
    secs[f[0]].append(float(f[2]))
startup = {m: [] for m in modes}
for l in open(f"{work}/startup.txt"):
    f = l.split("\t")
    startup[f[0]].append(float(f[1]))
py = [float(l.split("\t")[3]) for l in open(f"{work}/py.txt")]
pm = statistics.median(py)
b = np.load(f"{work}/py.npy")
print(f"{n} sentences ({tokens} tokens, {gflop:.0f} dense GFLOP), batch 32, {threads} threads, {runs} runs")
print(f"peak float32: {peak:.0f} GFLOP/s ({peak_note})")
print("GFLOP/s and % peak: over the whole process; fwd: over the forward alone (the process less its start-up)")
print(f"{'':32} {'sent/s median':>13} {'[min, max]':>17} {'x python':>8} {'GFLOP/s':>8} {'% peak':>6} {'start s':>7} {'fwd GF/s':>8} {'fwd %':>6} {'min cos':>9} {'max|diff|':>9}")
for m in modes:
    v = go[m]
    med = statistics.median(v)
    a = np.load(f"{work}/go-{m}.npy")
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    gf = gflop * med / int(n)
    st = statistics.median(startup[m])
    fwd = gflop / max(statistics.median(secs[m]) - st, 1e-9)
    print(f"{'fewshot embed --cpu-mode ' + m:32} {med:13.1f} {'[%.1f, %.1f]' % (min(v), max(v)):>17} {med / pm:8.2f} {gf:8.1f} {100 * gf / peak:5.1f}% {st:7.2f} {fwd:8.1f} {100 * fwd / peak:5.1f}% {cos.min():9.6f} {np.abs(a - b).max():9.2e}")
gf = gflop * pm / int(n)
print(f"{'python torch (forward only)':32} {pm:13.1f} {'[%.1f, %.1f]' % (min(py), max(py)):>17} {1:8.2f} {gf:8.1f} {100 * gf / peak:5.1f}% {'':>7} {gf:8.1f} {100 * gf / peak:5.1f}%")
for m in modes:
    for l in open(f"{work}/go-{m}.err"):
        if "--cpu-mode" in l:
            print(f"note ({m}): {l.strip()}")
PY
