#!/usr/bin/env bash
# The GPU check: one bounded command for a session that is lent an NVIDIA machine (Python PyTorch 2.x +
# CUDA, sentence-transformers, CMake, nvcc; no Go, no network, no ../shared). See docs/gpu-check.md.
#
# First, here (no GPU needed):   bash scripts/gpu-prepare.sh     (Go binaries, sentences -> build/gpu-bin)
# Then, on the GPU machine:      bash scripts/gpu-check.sh       (device tool: carry ["build/gpu-bin"])
#
# Steps, each under `timeout`, each recorded in $OUT/summary.txt as ok / FAIL / TIMEOUT / SKIP; a step
# that fails does not stop the ones after it:
#   env            versions: GPU, driver, Python torch, sentence-transformers, transformers, CMake, nvcc
#   cmake-*        the shim built against the Python torch into build/cuda-shim (FEWSHOT_USE_PYTHON_TORCH);
#                  then libtorch_cuda must be in its DT_NEEDED and ldd must resolve everything
#   shim-resolve   LD_LIBRARY_PATH=build/cuda-shim beats the RUNPATH of the carried Go binaries
#   go-torch       torch.test (TestCUDA runs instead of skipping)
#   bench-model    a MiniLM-L6-shaped random model (scripts/make_bench_model.py)
#   embed-*        `fewshot embed` of 2,000 STS-B sentences: the tiny models of model/testdata/models and the
#                  MiniLM-shaped one, cpu float32 and cuda float32/float16/bfloat16; MiniLM runs repeat
#                  for timing (cuda vs cpu; batch 32 and 128)
#   st-compare     scripts/st_compare.py: fewshot's matrices against sentence-transformers on the GPU and
#                  against scripts/reference_encoder.py; sentence-transformers' own throughput
#   go-model, go-siamese   model.test and siamese.test (CPU paths, there)
# The whole run stops starting steps after FEWSHOT_GPU_BUDGET seconds (default 420) and then writes
# the summary: it ends inside 8 minutes.
#
# $OUT (default build/gpu-out) receives at most 5 files: summary.txt, st_compare.txt, st_compare.json,
# fewshot_timing.tsv, logs.tar.gz (every step's full log). Exit status 1 if any step failed or timed out.
#
# FEWSHOT_GPU_DRY=1: a CPU-only rehearsal of the same flow (no CMake, the CPU shim in build/, device cpu,
# sentence-transformers skipped when missing), to test this script on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$(date +%s)
dry=${FEWSHOT_GPU_DRY:-0}
budget=${FEWSHOT_GPU_BUDGET:-420}
out=${OUT:-build/gpu-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$root/build/gpu-bin
work=$root/build/gpu-work
cudabuild=$root/build/cuda-shim
logs=$work/logs
summary=$out/summary.txt
rm -rf "$logs" "$work/emb" "$work/steps.tsv" "$work/timing.tsv"
mkdir -p "$logs" "$work/emb"
: >"$summary"
: >"$work/steps.tsv"
printf 'model\tdevice\tprecision\tbatch\trun\ttexts\ttexts_per_s\twall_s\n' >"$work/timing.tsv"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
# Only the shim's C++ is compiled: no CUDA kernels. Naming Hopper skips Caffe2's architecture probe.
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="$PATH:/usr/local/cuda/bin"
fi

say() { printf '[%3ds] %s\n' "$(($(date +%s) - t0))" "$*"; }
sum() { printf '%s\n' "$*" >>"$summary"; }

# record NAME RESULT SECONDS NOTE: one line in the summary and in steps.tsv.
record() {
  printf '%-38s %-8s %6s  %s\n' "$1" "$2" "$3" "$4" >>"$summary"
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$work/steps.tsv"
}

# step NAME LIMIT FUNCTION [ARGS...]: runs the exported FUNCTION under timeout (LIMIT seconds, less if the
# budget is nearly spent), output to $logs/NAME.log. The last line of the log that starts with "NOTE: "
# goes into the summary. Sets last_rc; never fails the script.
last_rc=0
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((t0 + budget - $(date +%s)))
  if ((left < 5)); then
    record "$name" SKIP 0 "time budget (${budget}s) spent"
    say "$name: SKIP (time budget spent)"
    last_rc=125
    return 0
  fi
  ((limit > left)) && limit=$left
  say "$name (limit ${limit}s)"
  local s rc=0 secs note result
  s=$(date +%s.%N)
  timeout -k 5 "$limit" bash -c 'set -euo pipefail; "$@"' _ "$@" >"$logs/$name.log" 2>&1 </dev/null || rc=$?
  secs=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e - s}')
  note=$(grep '^NOTE: ' "$logs/$name.log" | tail -n 1 | cut -c7- || true)
  case $rc in
    0) result=ok ;;
    124 | 137) result=TIMEOUT note="after ${limit}s${note:+; $note}" ;;
    *) result=FAIL note="exit $rc${note:+; $note}" ;;
  esac
  record "$name" "$result" "$secs" "$note"
  say "$name: $result (${secs}s) $note"
  if [ "$result" != ok ]; then
    {
      echo "    --- last lines of $name.log:"
      grep -v '^NOTE: ' "$logs/$name.log" | tail -n 12 | cut -c1-240 | sed 's/^/    | /'
    } | tee -a "$summary"
  fi
  last_rc=$rc
  return 0
}

skip() { # skip NAME REASON
  record "$1" SKIP 0 "$2"
  say "$1: SKIP ($2)"
}

# ---------------------------------------------------------------------------------------------------
# The step bodies (exported: each runs in `timeout bash -c`).

py=""
for c in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import torch, numpy' >/dev/null 2>&1; then
    py=$(command -v "$c")
    break
  fi
done

env_info() {
  echo "== host"
  uname -a
  echo "cores: $(nproc)"
  grep -m1 'model name' /proc/cpuinfo || true
  echo "== nvidia-smi"
  nvidia-smi || echo "nvidia-smi failed"
  echo "== python: ${py:-none with torch}"
  [ -n "$py" ] && "$py" - <<'PY'
import importlib, torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cuda available", torch.cuda.is_available(),
      "cxx11 abi", torch.compiled_with_cxx11_abi())
if torch.cuda.is_available():
    print("gpu", torch.cuda.get_device_name(0), "capability", torch.cuda.get_device_capability(0))
print("cmake prefix", torch.utils.cmake_prefix_path)
for m in ("sentence_transformers", "transformers", "tokenizers", "numpy"):
    try:
        print(m, importlib.import_module(m).__version__)
    except Exception as e:
        print(m, "not importable:", type(e).__name__, e)
PY
  echo "== tools"
  cmake --version | head -1 || echo "no cmake"
  nvcc --version | tail -2 || echo "no nvcc"
  c++ --version | head -1 || echo "no c++"
  command -v readelf || echo "no readelf"
  echo "== carried build/gpu-bin"
  ls -la "$bin" || true
  cat "$bin/MANIFEST.txt" || true
  "$py" - <<'PY'
import torch
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
try:
    import sentence_transformers as s, transformers as t
    st = f"sentence-transformers {s.__version__}, transformers {t.__version__}"
except Exception:
    st = "no sentence-transformers"
print(f"NOTE: {gpu}; torch {torch.__version__} (CUDA {torch.version.cuda}); {st}")
PY
}

cmake_configure() {
  if ! cmake -S "$root" -B "$cudabuild" -DFEWSHOT_USE_PYTHON_TORCH=ON -DCMAKE_BUILD_TYPE=Release \
    -DPython3_EXECUTABLE="$py"; then
    # Second try: name the CUDA toolkit of the nvcc on PATH (Caffe2's cuda.cmake must find one).
    local nvcc cuda_root
    nvcc=$(command -v nvcc) || { echo "NOTE: configure failed and there is no nvcc on PATH"; exit 3; }
    cuda_root=$(dirname "$(dirname "$(readlink -f "$nvcc")")")
    echo "== configure failed; again with CUDAToolkit_ROOT=$cuda_root"
    rm -rf "$cudabuild/CMakeCache.txt" "$cudabuild/CMakeFiles"
    cmake -S "$root" -B "$cudabuild" -DFEWSHOT_USE_PYTHON_TORCH=ON -DCMAKE_BUILD_TYPE=Release \
      -DPython3_EXECUTABLE="$py" -DCUDAToolkit_ROOT="$cuda_root" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root" \
      -DCMAKE_CUDA_COMPILER="$nvcc"
  fi
  echo "NOTE: $(grep -h '^-- fewshot: ' "$logs/cmake-configure.log" | sed 's/^-- fewshot: //' | paste -sd ';')"
  grep -q 'CUDA compiled in: ON' "$logs/cmake-configure.log" || { echo "NOTE: CMake found a torch without CUDA"; exit 3; }
}

cmake_build() {
  cmake --build "$cudabuild" -j"$(nproc)"
  ls -la "$cudabuild/libtorchshim.so"
}

shim_check() {
  local so=$1
  echo "== readelf -d $so"
  readelf -d "$so" | grep -E 'NEEDED|RPATH|RUNPATH|SONAME'
  echo "== ldd $so"
  ldd "$so"
  local needed
  needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  if [ "$dry" != 1 ] && ! grep -q 'libtorch_cuda' <<<"$needed"; then
    echo "NOTE: libtorch_cuda missing from DT_NEEDED: $needed"
    exit 3
  fi
  if ldd "$so" | grep -q 'not found'; then
    echo "NOTE: unresolved: $(ldd "$so" | grep 'not found' | tr -s ' \t\n' ' ')"
    exit 4
  fi
  echo "NOTE: DT_NEEDED $needed"
}

shim_resolve() {
  local b
  for b in torch.test model.test siamese.test fewshot; do
    echo "== $b"
    readelf -d "$bin/$b" | grep -E 'RPATH|RUNPATH' || true
    ldd "$bin/$b" | grep -E 'torchshim|torch' || true
  done
  local got
  got=$(ldd "$bin/fewshot" | sed -n 's/.*libtorchshim.so => \([^ ]*\).*/\1/p')
  echo "NOTE: fewshot loads ${got:-nothing}"
  [ "$(readlink -f "$got")" = "$(readlink -f "$shimdir/libtorchshim.so")" ]
}

go_test() { # go_test PKG LIMIT
  local pkg=$1 limit=$2
  cd "$root/$pkg"
  local rc=0
  env -u FEWSHOT_SHARED_DATA "$bin/$pkg.test" -test.v -test.count=1 -test.timeout="$((limit - 5))s" || rc=$?
  cd "$root"
  local log="$logs/go-$pkg.log"
  local p f s
  p=$(grep -c '^--- PASS' "$log" || true)
  f=$(grep -c '^--- FAIL' "$log" || true)
  s=$(grep -c '^--- SKIP' "$log" || true)
  local extra=""
  if [ "$pkg" = torch ]; then
    local r
    r=$(grep -E '^--- (PASS|FAIL|SKIP): TestCUDA ' "$log" | awk '{print $2}' | tr -d ':' || true)
    extra=" TestCUDA: ${r:-not run}"
  fi
  echo "NOTE: top-level tests: $p pass, $f fail, $s skip.$extra"
  return "$rc"
}

bench_model() {
  if [ -f "$work/minilm-random/model.safetensors" ]; then
    echo "NOTE: reusing $work/minilm-random"
    return 0
  fi
  FEWSHOT_SHARED_DATA="$bin/shared" "$py" "$root/scripts/make_bench_model.py" "$work/minilm-random"
  echo "NOTE: $(du -sh "$work/minilm-random" | cut -f1) in $work/minilm-random"
}

# embed NAME FOLDER DEVICE PRECISION BATCH RUN OUTPUT: one `fewshot embed`; appends a timing row.
embed() {
  local name=$1 folder=$2 device=$3 prec=$4 batch=$5 run=$6 output=$7
  local s e
  s=$(date +%s.%N)
  "$bin/fewshot" embed --model "$folder" --device "$device" --precision "$prec" --batch-size "$batch" \
    --input "$bin/sentences.txt" --output "$output" --format npy
  e=$(date +%s.%N)
  local line
  line=$(grep '^fewshot embed: ' "$logs/embed-$name-$device-$prec-b$batch-r$run.log" | tail -n 1)
  # "fewshot embed: 2000 texts, dim 384, 0.52s, 3846 texts/s -> out.npy"
  awk -v l="$line" -v n="$name" -v d="$device" -v p="$prec" -v b="$batch" -v r="$run" -v s="$s" -v e="$e" 'BEGIN{
    split(l, w, " "); texts = w[3]; rate = w[8];
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\n", n, d, p, b, r, texts, rate, e - s }' >>"$work/timing.tsv"
  line=${line#fewshot embed: }
  echo "NOTE: ${line% -> *}"
}

st_compare() {
  local -a args=(--sentences "$bin/sentences.txt" --emb-dir "$work/emb" --out "$out" --batch-size 32
    --time-model minilm --time-runs 3)
  local m
  for m in bert distilbert mpnet roberta; do
    args+=(--model "$m=$root/model/testdata/models/$m")
  done
  args+=(--model "minilm=$work/minilm-random")
  if "$py" -c 'import sentence_transformers' 2>/dev/null; then
    args+=(--st-device "$st_device")
  else
    echo "sentence_transformers is not importable: comparing with reference_encoder.py only"
    args+=(--no-st)
  fi
  args+=(--ref-limit "$ref_limit")
  "$py" "$root/scripts/st_compare.py" "${args[@]}"
  local bad
  bad=$(sed -n 's/.* comparisons, \([0-9]*\) not ok/\1/p' "$out/st_compare.txt")
  echo "NOTE: $(grep ' comparisons, ' "$out/st_compare.txt" | sed 's/^ *//'); $(grep -c 'failed' "$out/st_compare.txt" || true) load/encode failures"
  [ "${bad:-1}" = 0 ]
}

export root bin work cudabuild logs out dry py
export -f env_info cmake_configure cmake_build shim_check shim_resolve go_test bench_model embed st_compare

# ---------------------------------------------------------------------------------------------------
if [ "$dry" = 1 ]; then mode="DRY (CPU only: build/ shim, device cpu)"; else mode="GPU"; fi
sum "fewshot GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), mode $mode, budget ${budget}s"
sum "$(head -n 3 "$bin/MANIFEST.txt" 2>/dev/null | tr '\n' ';' || echo 'no build/gpu-bin/MANIFEST.txt')"
sum ""
printf '%-38s %-8s %6s  %s\n' STEP RESULT SECS NOTE >>"$summary"
say "fewshot GPU check, mode $mode; OUT=$out"

if [ -z "$py" ]; then
  skip python "no python3 that imports torch and numpy"
fi
step env 60 env_info

have_bin=1
for b in torch.test model.test siamese.test fewshot sentences.txt; do
  [ -e "$bin/$b" ] || have_bin=0
done
if [ "$have_bin" = 0 ]; then
  record carried-binaries FAIL 0 "build/gpu-bin incomplete: run scripts/gpu-prepare.sh here and carry build/gpu-bin"
fi

# The shim.
if [ "$dry" = 1 ]; then
  shimdir=$root/build
  device=cpu
  precisions=(float32)
  st_device=cpu
  ref_limit=64
  skip cmake-configure "dry run: using the CPU shim in build/"
else
  shimdir=$cudabuild
  device=cuda
  precisions=(float32 float16 bfloat16)
  st_device=cuda
  ref_limit=256
  if [ -n "$py" ]; then
    step cmake-configure 150 cmake_configure
    if [ "$last_rc" = 0 ]; then
      step cmake-build 240 cmake_build
    else
      skip cmake-build "configure failed"
    fi
  else
    skip cmake-configure "no python torch"
  fi
fi
export shimdir st_device ref_limit
have_shim=0
if [ -f "$shimdir/libtorchshim.so" ]; then
  step shim-check 30 shim_check "$shimdir/libtorchshim.so"
  if [ "$last_rc" = 4 ] && [ -n "$py" ]; then
    # libtorch_cuda's own RUNPATH normally finds the pip nvidia-* libraries; where it does not, add them.
    extra=$("$py" -c 'import glob, os, nvidia; print(":".join(sorted({os.path.dirname(p) for d in nvidia.__path__ for p in glob.glob(os.path.join(d, "**", "lib*.so*"), recursive=True)})))' 2>/dev/null || true)
    if command -v nvcc >/dev/null; then
      extra="${extra:+$extra:}$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")/lib64"
    fi
    if [ -n "$extra" ]; then
      export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$extra"
      step shim-check-nvidia-libs 30 shim_check "$shimdir/libtorchshim.so"
    fi
  fi
  [ "$last_rc" = 0 ] && have_shim=1
else
  skip shim-check "no $shimdir/libtorchshim.so"
fi
# The Go binaries name $root/torch/../build (where gpu-prepare.sh ran) in RUNPATH; LD_LIBRARY_PATH wins.
export LD_LIBRARY_PATH="$shimdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

if [ "$have_bin" = 1 ] && [ "$have_shim" = 1 ]; then
  step shim-resolve 20 shim_resolve
  step go-torch 150 go_test torch 150

  models=(bert distilbert mpnet roberta)
  step bench-model 120 bench_model
  [ "$last_rc" = 0 ] && models+=(minilm)
  for m in "${models[@]}"; do
    folder=$root/model/testdata/models/$m
    [ "$m" = minilm ] && folder=$work/minilm-random
    step "embed-$m-cpu-float32-b32-r1" 90 embed "$m" "$folder" cpu float32 32 1 "$work/emb/$m.cpu.float32.npy"
    if [ "$device" = cuda ]; then
      for p in "${precisions[@]}"; do
        step "embed-$m-cuda-$p-b32-r1" 60 embed "$m" "$folder" cuda "$p" 32 1 "$work/emb/$m.cuda.$p.npy"
      done
    fi
  done
  # Timing repeats on the MiniLM-shaped model (the first run above paid for cold caches).
  if [[ " ${models[*]} " == *" minilm "* ]]; then
    folder=$work/minilm-random
    step embed-minilm-cpu-float32-b32-r2 90 embed minilm "$folder" cpu float32 32 2 "$work/tmp.npy"
    if [ "$device" = cuda ]; then
      for p in "${precisions[@]}"; do
        for r in 2 3; do
          step "embed-minilm-cuda-$p-b32-r$r" 60 embed minilm "$folder" cuda "$p" 32 "$r" "$work/tmp.npy"
        done
      done
      for p in float32 float16; do
        for r in 1 2; do
          step "embed-minilm-cuda-$p-b128-r$r" 60 embed minilm "$folder" cuda "$p" 128 "$r" "$work/tmp.npy"
        done
      done
    fi
  fi
  if [ -n "$py" ]; then
    step st-compare 200 st_compare
  else
    skip st-compare "no python torch"
  fi
  step go-model 120 go_test model 120
  step go-siamese 150 go_test siamese 150
else
  for s in shim-resolve go-torch embed st-compare go-model go-siamese; do
    skip "$s" "no usable shim or no carried binaries"
  done
fi

# ---------------------------------------------------------------------------------------------------
say "writing the summary"
{
  echo
  echo "== fewshot embed throughput (texts/s as fewshot reports it: after model load, tokenisation and"
  echo "   writing included; wall_s is the whole process), median over runs"
  awk -F'\t' 'NR > 1 && $7 != "" {
      k = $1 "\t" $2 "\t" $3 "\t" $4; n[k]++; v[k, n[k]] = $7; w[k, n[k]] = $8; if (!(k in seen)) { seen[k] = 1; order[++m] = k } }
    END {
      printf "   %-10s %-6s %-9s %5s %4s %10s %12s\n", "model", "device", "precision", "batch", "runs", "texts/s", "last wall_s"
      for (i = 1; i <= m; i++) {
        k = order[i]; c = n[k]
        for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[k, b] < v[k, a]) { t = v[k, a]; v[k, a] = v[k, b]; v[k, b] = t }
        med = (c % 2) ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2
        split(k, f, "\t")
        printf "   %-10s %-6s %-9s %5s %4d %10.0f %12.2f\n", f[1], f[2], f[3], f[4], c, med, w[k, c]
      }
    }' "$work/timing.tsv"
  if [ -f "$out/st_compare.txt" ]; then
    echo
    echo "== parity (scripts/st_compare.py)"
    cat "$out/st_compare.txt"
  fi
  echo
  fails=$(awk -F'\t' '$2 == "FAIL" || $2 == "TIMEOUT"' "$work/steps.tsv" | wc -l)
  skips=$(awk -F'\t' '$2 == "SKIP"' "$work/steps.tsv" | wc -l)
  oks=$(awk -F'\t' '$2 == "ok"' "$work/steps.tsv" | wc -l)
  echo "== result: $oks ok, $fails failed or timed out, $skips skipped, in $(($(date +%s) - t0))s"
} >>"$summary"
cp "$work/timing.tsv" "$out/fewshot_timing.tsv"
cp "$bin/MANIFEST.txt" "$logs/" 2>/dev/null || true
[ -f "$cudabuild/CMakeCache.txt" ] && cp "$cudabuild/CMakeCache.txt" "$logs/cuda-shim-CMakeCache.txt"
tar -czf "$out/logs.tar.gz" -C "$work" logs
echo
cat "$summary"
fails=$(awk -F'\t' '$2 == "FAIL" || $2 == "TIMEOUT"' "$work/steps.tsv" | wc -l)
[ "$fails" = 0 ]
