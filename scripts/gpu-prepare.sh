#!/usr/bin/env bash
# Prepares, on this (GPU-less) machine, what scripts/gpu-check.sh needs on a GPU machine that has no Go
# and no ../shared: everything lands in build/gpu-bin/, which the device tool carries (`carry:
# ["build/gpu-bin"]`). See docs/gpu-check.md.
#
#   build/gpu-bin/torch.test, model.test, siamese.test   go test -c of ./torch, ./model, ./siamese
#   build/gpu-bin/fewshot                                the CLI
#   build/gpu-bin/sentences.txt                          2,000 STS-B sentences (both columns of the
#                                                        first 1,000 rows of sts-train.csv), as
#                                                        scripts/bench_embed.sh uses
#   build/gpu-bin/shared/tokenizers/bert-base-uncased/   tokenizer.json + vocab.txt, for
#                                                        scripts/make_bench_model.py there
#   build/gpu-bin/MANIFEST.txt                           git HEAD, dirty files, Go version, sizes
#
# The Go binaries link libtorchshim.so by its soname with a RUNPATH to this checkout's build/; on the GPU
# machine gpu-check.sh points LD_LIBRARY_PATH at the CUDA shim it builds there, which wins over RUNPATH.
# They must be built from the same torch/csrc/torchshim.h as the shim built there: run this right before
# the device call, without editing torch/csrc/ in between.
#
# Usage: scripts/gpu-prepare.sh          (FEWSHOT_SHARED_DATA overrides ../shared/data;
#                                         FEWSHOT_PREPARE_SHIM=1 first runs `cmake --build build`)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
shared=${FEWSHOT_SHARED_DATA:-../shared/data}
bin=build/gpu-bin
sts="$shared/similarity/stsbenchmark/sts-train.csv"
tokdir="$shared/tokenizers/bert-base-uncased"

for f in "$sts" "$tokdir/tokenizer.json" "$tokdir/vocab.txt"; do
  [ -f "$f" ] || { echo "gpu-prepare: missing $f (set FEWSHOT_SHARED_DATA)" >&2; exit 1; }
done
[ -f build/libtorchshim.so ] || { echo "gpu-prepare: build/libtorchshim.so missing: build the CPU shim first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
if [ "${FEWSHOT_PREPARE_SHIM:-0}" = 1 ]; then
  echo "== cmake --build build (CPU shim, so the Go binaries link against the current torch/csrc)"
  cmake --build build -j"$(nproc)"
fi

rm -rf "$bin"
mkdir -p "$bin/shared/tokenizers/bert-base-uncased"
for pkg in torch model siamese; do
  echo "== go test -c ./$pkg -> $bin/$pkg.test"
  go test -c -ldflags="-s -w" -o "$bin/$pkg.test" "./$pkg"
done
echo "== go build ./cmd/fewshot -> $bin/fewshot"
go build -ldflags="-s -w" -o "$bin/fewshot" ./cmd/fewshot

echo "== sentences and tokenizer"
# Columns 6 and 7 (sentence1, sentence2) of the first 1,000 rows; the file splits on tabs only.
head -n 1000 "$sts" | awk -F'\t' '{print $6; print $7}' >"$bin/sentences.txt"
n=$(grep -c . "$bin/sentences.txt")
[ "$n" -eq 2000 ] || { echo "gpu-prepare: $bin/sentences.txt has $n non-blank lines, want 2000" >&2; exit 1; }
cp "$tokdir/tokenizer.json" "$tokdir/vocab.txt" "$bin/shared/tokenizers/bert-base-uncased/"

{
  echo "prepared: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m)"
  echo "git HEAD: $(git rev-parse HEAD 2>/dev/null || echo none)"
  echo "torchshim.h sha256: $(sha256sum torch/csrc/torchshim.h | cut -d' ' -f1)"
  echo "dirty files:"
  git status --short 2>/dev/null | sed 's/^/  /'
  go version
  echo "runpath of torch.test: $(readelf -d "$bin/torch.test" | grep -iE 'rpath|runpath' | sed 's/.*\[\(.*\)\]/\1/' || true)"
} >"$bin/MANIFEST.txt"

# Go's cgo link passes -Wl,-rpath through gcc; Debian's gcc links with --enable-new-dtags, so this must be
# RUNPATH (LD_LIBRARY_PATH wins) and not the old RPATH (which would beat LD_LIBRARY_PATH).
for b in torch.test model.test siamese.test fewshot; do
  if readelf -d "$bin/$b" | grep -q '(RPATH)'; then
    echo "gpu-prepare: $bin/$b has DT_RPATH, which LD_LIBRARY_PATH cannot override: the GPU run would load the CPU shim path first" >&2
    exit 1
  fi
done
echo "== $bin/torch.test dynamic paths:"
readelf -d "$bin/torch.test" | grep -iE 'needed|rpath|runpath'

total=$(du -sb "$bin" | cut -f1)
echo "== sizes"
du -sh "$bin"/* | sort -h
awk -v b="$total" 'BEGIN{printf "carry total: %d bytes (%.1f MiB); the device tool allows 64 MiB with the working tree\n", b, b/1048576}'
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
awk -v b="$tree" 'BEGIN{printf "working tree that travels anyway (tracked + untracked-not-ignored): %.1f MiB\n", b/1048576}'
if [ $((total + tree)) -gt $((56 * 1048576)) ]; then
  echo "gpu-prepare: WARNING: carry + tree is over 56 MiB, close to the 64 MiB limit" >&2
fi
echo
echo 'device tool: run(command: "bash scripts/gpu-check.sh", carry: ["build/gpu-bin"], timeout_s: 480)'
