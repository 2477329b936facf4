#!/usr/bin/python3
"""The same operations as torch/bench_test.go, timed in Python PyTorch (Debian's python3-torch, the same
libtorch 1.13 the Go shim links), so the binding's overhead is measured side by side.

Usage: /usr/bin/python3 scripts/bench_torch.py [--threads N] [--seconds S]
Prints one line per benchmark in `go test -bench` style: name, ns/op and GFLOP/s.
"""
import argparse
import time

import torch


def timeit(fn, seconds):
    for _ in range(3):
        fn()
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - start
        if el >= seconds:
            return el / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: libtorch's default)")
    ap.add_argument("--seconds", type=float, default=1.0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    results = []
    x = torch.randn(512, 512)
    per = timeit(lambda: torch.matmul(x, x), a.seconds)
    results.append(("Matmul512", per, 2 * 512 ** 3 / per / 1e9))
    with torch.inference_mode():
        for name, (m, k, n) in [("LinearFFN", (1024, 384, 1536)), ("LinearQKV", (1024, 384, 1152))]:
            xi, w, b = torch.randn(m, k), torch.randn(n, k), torch.randn(n)
            per = timeit(lambda: torch.nn.functional.linear(xi, w, b), a.seconds)
            results.append((name, per, 2 * m * n * k / per / 1e9))
            # PyTorch's own oneDNN route (torch.utils.mkldnn's MkldnnLinear): weight and bias converted to
            # oneDNN tensors once, the input converted and the output converted back on every call.
            wm, bm = w.to_mkldnn(), b.to_mkldnn()
            per = timeit(lambda: torch._C._nn.mkldnn_linear(xi.to_mkldnn(), wm, bm).to_dense(), a.seconds)
            results.append((name + "MKLDNN", per, 2 * m * n * k / per / 1e9))
    one = torch.ones(1)
    per = timeit(lambda: one + 1, a.seconds)
    results.append(("CallOverhead", per, None))
    print(f"python torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, per, gf in results:
        extra = f"\t{gf:.2f} GFLOP/s" if gf is not None else ""
        print(f"BenchmarkPy{name}\t{per * 1e9:.0f} ns/op{extra}")


if __name__ == "__main__":
    main()
