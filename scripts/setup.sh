#!/usr/bin/env bash
# Sets up a Debian 12 machine to build and test fewshot.
# Run as root (or with sudo) the first time; it is idempotent, and a second run with nothing to do takes
# seconds. What it does:
#   1. installs the Debian packages that are missing: g++, libtorch-dev (CPU libtorch 1.13), libdnnl-dev
#      (the headers of the oneDNN that libtorch links, for the shim's direct oneDNN linears), libgloo-dev
#      (the headers of Gloo, for c10d's process groups), libopenblas0-pthread (without it matrix products
#      fall back to reference BLAS, about 10x slower), wordnet-base (synonyms for data augmentation),
#      python3-torch and python3-numpy (the independent reference that the parity fixtures and benchmarks
#      use) and jq (the evaluation scripts);
#   2. checks that Go 1.26 or newer is on PATH;
#   3. runs `go build ./...`, which compiles the libtorch shim (torch/csrc) with cgo once, so that the first
#      `go run` or `go test` is fast (later builds take it from Go's build cache).
# There is no CMake step: CMake builds libtorchshim.so only for other libtorch builds (see CMakeLists.txt).
# Environment: FEWSHOT_SKIP_APT=1 skips step 1; FEWSHOT_SKIP_PREBUILD=1 skips step 3.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ libtorch-dev libdnnl-dev libgloo-dev libopenblas0-pthread wordnet-base python3-torch python3-numpy jq)

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

if [ "${FEWSHOT_SKIP_PREBUILD:-0}" != 1 ]; then
  s=$(date +%s)
  go build ./...
  echo "setup: ok (go build ./... in $(($(date +%s) - s))s)"
else
  echo "setup: ok"
fi
