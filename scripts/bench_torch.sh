#!/usr/bin/env bash
# Runs the torch package's benchmarks and the same operations in Python PyTorch, in one run, with the same
# libtorch and thread count, several times, and prints the median of each figure side by side.
# Usage: scripts/bench_torch.sh [runs] [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
threads=${2:-$(nproc)}
export OMP_NUM_THREADS=$threads
out=$(mktemp -d)
go test -c -o "$out/torch.test" ./torch/
for i in $(seq "$runs"); do
  "$out/torch.test" -test.run '^$' -test.bench . -test.benchtime 1s >>"$out/go.txt"
  /usr/bin/python3 scripts/bench_torch.py --threads "$threads" >>"$out/py.txt"
done
/usr/bin/python3 - "$out/go.txt" "$out/py.txt" "$runs" "$threads" <<'PY'
import re, statistics, sys
go, py, runs, threads = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
def table(text, prefix):
    d = {}
    for line in text.splitlines():
        m = re.match(prefix + r"(\w+?)(?:-\d+)?\s+(?:\d+\s+)?([\d.]+) ns/op(?:\s+([\d.]+) GFLOP/s)?", line)
        if m:
            d.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3)) if m.group(3) else None))
    return d
g, p = table(go, "Benchmark"), table(py, "BenchmarkPy")
print(f"median of {runs} runs, {threads} threads (ns/op; GFLOP/s where it applies)")
print(f"{'benchmark':<18}{'Go ns/op':>12}{'Py ns/op':>12}{'Go GFLOP/s':>12}{'Py GFLOP/s':>12}{'Py/Go time':>12}")
def med(rows, i):
    v = [r[i] for r in rows if r[i] is not None]
    return statistics.median(v) if v else None
def cell(v, fmt):
    return f"{v:>12{fmt}}" if v is not None else f"{'-':>12}"
for name in list(g) + [n for n in p if n not in g]:
    gn, gg = (med(g[name], 0), med(g[name], 1)) if name in g else (None, None)
    pn, pg = (med(p[name], 0), med(p[name], 1)) if name in p else (None, None)
    ratio = pn / gn if gn and pn else None
    print(f"{name:<18}{cell(gn, '.0f')}{cell(pn, '.0f')}{cell(gg, '.1f')}{cell(pg, '.1f')}{cell(ratio, '.2f')}")
PY
