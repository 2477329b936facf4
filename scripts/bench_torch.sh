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
print(f"{'benchmark':<14}{'Go ns/op':>12}{'Py ns/op':>12}{'Go GFLOP/s':>12}{'Py GFLOP/s':>12}{'Py/Go time':>12}")
for name in g:
    gn = statistics.median(v[0] for v in g[name])
    gg = [v[1] for v in g[name] if v[1] is not None]
    if name in p:
        pn = statistics.median(v[0] for v in p[name])
        pg = [v[1] for v in p[name] if v[1] is not None]
        print(f"{name:<14}{gn:>12.0f}{pn:>12.0f}{(statistics.median(gg) if gg else float('nan')):>12.1f}"
              f"{(statistics.median(pg) if pg else float('nan')):>12.1f}{pn / gn:>12.2f}")
    else:
        print(f"{name:<14}{gn:>12.0f}{'-':>12}")
PY
