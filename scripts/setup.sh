#!/usr/bin/env bash
# Sets up a Debian 12 machine to build and test fewshot, and builds the libtorch shim.
# Run as root (or with sudo) the first time; it is idempotent, and a second run with nothing to do takes
# seconds. What it does:
#   1. installs the Debian packages that are missing: cmake, g++, libtorch-dev (CPU libtorch 1.13),
#      libdnnl-dev (the headers of the oneDNN that libtorch links, for the shim's direct oneDNN linears),
#      libopenblas0-pthread (without it matrix products fall back to reference BLAS, about 10x slower),
#      wordnet-base (synonyms for data augmentation), python3-torch and python3-numpy (the independent
#      reference that the
#      parity fixtures and benchmarks use) and jq (the evaluation scripts);
#   2. checks that Go 1.26 or newer is on PATH;
#   3. configures and builds build/libtorchshim.so with CMake (incremental).
# Environment: LIBTORCH or CMAKE_PREFIX_PATH select another libtorch (e.g. a CUDA one, see README);
# FEWSHOT_SKIP_APT=1 skips step 1.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make libtorch-dev libdnnl-dev libopenblas0-pthread wordnet-base python3-torch python3-numpy jq)

if [ "${FEWSHOT_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go is not on PATH; install Go 1.26 or newer from https://go.dev/dl/ into /usr/local/go" >&2
  exit 1
fi
gov=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n1.26\n' "$gov" | sort -V | head -n1)" != "1.26" ]; then
  echo "setup: Go $gov is too old; fewshot needs Go 1.26 or newer" >&2
  exit 1
fi

build=build
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$(nproc)"
echo "setup: ok ($(ls "$build"/libtorchshim.so))"
