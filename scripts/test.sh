#!/usr/bin/env bash
# Runs every check CI runs: set-up, formatting, vet, the whole test suite, and the race detector on the
# packages that share tensors between goroutines.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PATH:/usr/local/go/bin"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
# Debian's libtorch with libdnnl-dev always gets the shim's direct oneDNN path: make its absence a failure.
export FEWSHOT_REQUIRE_DIRECT_ONEDNN=1
go test -count=1 ./...
go test -count=1 -race ./torch/...
