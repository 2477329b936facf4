#!/usr/bin/env bash
# Where `fewshot embed`'s CPU time goes: the embedding benchmark's run (scripts/bench_embed.sh: 2,000 STS-B
# sentences, the MiniLM-shaped model, batches of 32) under Linux perf, its samples grouped by the code
# they fall in, as a Markdown table of shares of all CPU time (both threads, start-up included).
#
#   scripts/profile_embed.sh [threads=$(nproc)] [cpu mode=fast]
#
# The groups: oneDNN's JIT-compiled kernels (the linear layers' matrix products with their fused bias,
# activation and residual addition), the shim's attention kernels, the shim's other code, libtorch's own
# kernels (softmax, LayerNorm, embeddings, pooling, copies, conversions; Debian's libtorch is stripped, so
# they cannot be told apart), the oneDNN library outside its kernels, the thread pools, libc, the Linux
# kernel (page faults on fresh buffers, thread wake-ups), the dynamic loader (binding libtorch's symbols at
# start-up) and the Go side (tokeniser, runtime, writing the .npy). Needs perf (Debian: linux-perf) and
# permission to use it (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
mode=${2:-fast}
shared=${FEWSHOT_SHARED_DATA:-../shared/data}
command -v perf >/dev/null || { echo "profile_embed.sh: needs perf (apt install linux-perf)" >&2; exit 1; }
work=build/bench
mkdir -p "$work"
go build -o "$work/fewshot" ./cmd/fewshot
[ -f "$work/minilm-random/model.safetensors" ] || /usr/bin/python3 scripts/make_bench_model.py "$work/minilm-random" >/dev/null
head -n 1000 "$shared/similarity/stsbenchmark/sts-train.csv" | awk -F'\t' '{print $6; print $7}' >"$work/sentences.txt"
export OMP_NUM_THREADS=$threads
perf record -q -F 1999 -o "$work/perf.data" -- "$work/fewshot" embed --model "$work/minilm-random" --device cpu \
  --threads "$threads" --batch-size 32 --input "$work/sentences.txt" --output "$work/profile.npy" --format npy \
  --cpu-mode "$mode" 2>/dev/null
perf report -i "$work/perf.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
  awk -v bin="$(basename "$work/fewshot")" '
    /^#/ || !/%/ { next }
    {
      share = $1; sub(/%/, "", share); dso = $2; sym = $0
      if (dso ~ /^\[JIT\]/) g = "oneDNN JIT kernels: the linear layers (matmul + bias, GELU, residual)"
      else if (dso == "libtorchshim.so" && (sym ~ /scores_head/ || sym ~ /context_head/)) g = "shim: attention kernels (scores, context)"
      else if (dso == "libtorchshim.so") g = "shim: other"
      else if (dso ~ /^libtorch/ || dso ~ /^libc10/ || dso ~ /^libsleef/) g = "libtorch kernels: softmax, LayerNorm, embeddings, pooling, copies"
      else if (dso ~ /^libdnnl/) g = "oneDNN library outside its kernels"
      else if (dso ~ /^libgomp/ || dso ~ /^libpthreadpool/) g = "thread pools (OpenMP, pthreadpool)"
      else if (dso ~ /^libc\.so/ || dso ~ /^libstdc/ || dso ~ /^libm\./) g = "libc, libstdc++ (memcpy, malloc)"
      else if (dso ~ /kernel/) g = "Linux kernel: page faults, scheduling"
      else if (dso ~ /^ld-linux/) g = "dynamic loader: binding libtorch at start-up"
      else if (dso == bin) g = "Go: tokeniser, runtime, writing the .npy"
      else g = "other libraries"
      s[g] += share
    }
    END { for (g in s) printf "%.1f\t%s\n", s[g], g }' |
  sort -t$'\t' -k1,1 -rn | awk -F'\t' 'BEGIN { print "| where | share of CPU time |"; print "|---|---:|" } { printf "| %s | %s%% |\n", $2, $1 }'
