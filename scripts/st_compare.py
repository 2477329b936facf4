#!/usr/bin/env python3
"""Compares `fewshot embed` output with Python's sentence-transformers (and the independent reference in
scripts/reference_encoder.py), and times sentence-transformers' encode: the GPU check's parity step.

For every --model NAME=FOLDER it loads FOLDER with sentence_transformers.SentenceTransformer(FOLDER,
device=--st-device), casts it to float32 (transformers 5 loads a float16 checkpoint as float16), embeds
the sentences (batch --batch-size) and compares the result with each fewshot matrix
EMB_DIR/NAME.DEVICE.PRECISION.npy (the rows of `fewshot embed --format npy`, in input order): per-row
cosine (min, mean) and max abs difference (absolute, and relative to the reference's largest entry).
The half-precision runs are also compared with sentence-transformers in that precision on --st-device.
With --ref-limit N > 0 it also runs scripts/reference_encoder.py (float32, CPU) on the first N sentences
and compares with the same files, and it always compares each fewshot run with fewshot's cpu.float32 run.

Verdicts: float32 "ok" when min cosine >= 0.99999 and relative max abs diff <= 1e-4; float16 "ok" when
min cosine >= 0.999; bfloat16 when >= 0.99; otherwise "DIFF". A model that fails to load says why.

With --time-model NAME it times encode of all sentences on --st-device (float32, float16, bfloat16 on
CUDA; batch --batch-size; one warm-up, then --time-runs runs, median reported).

Writes OUT/st_compare.json and OUT/st_compare.txt. Exit status 0 unless the arguments are wrong: the
verdicts are in the files.

Usage (gpu-check.sh runs it):
  python3 scripts/st_compare.py --sentences build/gpu-bin/sentences.txt --emb-dir build/gpu-work/emb \\
      --out "$OUT" --st-device cuda --model bert=model/testdata/models/bert ... --time-model minilm
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MIN_COS = {"float32": 0.99999, "float16": 0.999, "bfloat16": 0.99}
MAX_REL_F32 = 1e-4


def compare(ref: np.ndarray, got: np.ndarray) -> dict:
    """Row-wise cosine and max abs difference of got against ref (same shape)."""
    ref = ref.astype(np.float64)
    got = got.astype(np.float64)
    num = (ref * got).sum(1)
    den = np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1)
    cos = num / np.maximum(den, 1e-30)
    diff = np.abs(ref - got)
    scale = float(np.abs(ref).max()) or 1.0
    return {
        "n": int(ref.shape[0]),
        "dim": int(ref.shape[1]),
        "min_cos": float(cos.min()),
        "mean_cos": float(cos.mean()),
        "worst_row": int(cos.argmin()),
        "max_abs": float(diff.max()),
        "rel_max_abs": float(diff.max() / scale),
        "finite": bool(np.isfinite(got).all()),
    }


def verdict(precision: str, c: dict) -> str:
    if not c["finite"]:
        return "DIFF (non-finite values)"
    ok = c["min_cos"] >= MIN_COS.get(precision, 0.99999)
    if precision == "float32":
        ok = ok and c["rel_max_abs"] <= MAX_REL_F32
    return "ok" if ok else "DIFF"


def short_error(e: BaseException) -> str:
    lines = [l for l in str(e).strip().splitlines() if l.strip()]
    return f"{type(e).__name__}: {lines[0] if lines else ''}"[:300]


def fewshot_runs(emb_dir: str, name: str) -> dict:
    """{"cuda.float16": path, ...} for EMB_DIR/NAME.*.npy."""
    runs = {}
    for p in sorted(glob.glob(os.path.join(emb_dir, f"{name}.*.npy"))):
        tag = os.path.basename(p)[len(name) + 1 : -len(".npy")]
        if tag.count(".") == 1:
            runs[tag] = p
    return runs


def st_encode(model, sentences, batch_size: int, torch) -> np.ndarray:
    out = model.encode(sentences, batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False)
    return out.float().cpu().numpy()


def sync(torch, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", required=True)
    ap.add_argument("--emb-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", action="append", default=[], metavar="NAME=FOLDER")
    ap.add_argument("--st-device", default="cuda")
    ap.add_argument("--no-st", action="store_true", help="skip sentence-transformers (not installed)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--ref-limit", type=int, default=0, help="sentences for reference_encoder.py (0: none)")
    ap.add_argument("--time-model", default="")
    ap.add_argument("--time-runs", type=int, default=3)
    a = ap.parse_args(argv)

    with open(a.sentences, encoding="utf-8") as f:
        sentences = [l.rstrip("\n") for l in f if l.strip()]
    models = []
    for spec in a.model:
        name, sep, folder = spec.partition("=")
        if not sep or not name or not folder:
            ap.error(f"--model {spec!r}: want NAME=FOLDER")
        models.append((name, folder))
    os.makedirs(a.out, exist_ok=True)

    import torch

    report = {"sentences": len(sentences), "st_device": a.st_device, "batch_size": a.batch_size,
              "env": {"torch": torch.__version__, "cuda": torch.version.cuda,
                      "cuda_available": torch.cuda.is_available()},
              "loads": {}, "comparisons": [], "timing": []}
    if torch.cuda.is_available():
        report["env"]["gpu"] = torch.cuda.get_device_name(0)
    st_mod = None
    if not a.no_st:
        try:
            import sentence_transformers as st_mod
            import transformers

            report["env"]["sentence_transformers"] = st_mod.__version__
            report["env"]["transformers"] = transformers.__version__
        except Exception as e:  # noqa: BLE001 - report, do not stop
            report["env"]["sentence_transformers"] = "not importable: " + short_error(e)
            st_mod = None
    ref_mod = None
    if a.ref_limit > 0:
        sys.path.insert(0, HERE)
        import reference_encoder as ref_mod

    def add(model, reference, run, c, precision):
        c.update({"model": model, "reference": reference, "fewshot": run, "verdict": verdict(precision, c)})
        report["comparisons"].append(c)
        print(f"{model:10s} {run:16s} vs {reference:22s} min cos {c['min_cos']:.7f}  max abs {c['max_abs']:.2e}"
              f"  rel {c['rel_max_abs']:.2e}  {c['verdict']}", flush=True)

    for name, folder in models:
        runs = fewshot_runs(a.emb_dir, name)
        mats = {}
        for tag, p in runs.items():
            try:
                mats[tag] = np.load(p)
            except Exception as e:  # noqa: BLE001
                report["loads"][f"{name}:{tag}"] = "fewshot npy unreadable: " + short_error(e)
        if not mats:
            report["loads"][f"{name}:fewshot"] = f"no fewshot output {a.emb_dir}/{name}.*.npy"
        for tag, m in mats.items():
            if m.shape[0] != len(sentences):
                report["loads"][f"{name}:{tag}"] = f"fewshot npy has {m.shape[0]} rows, want {len(sentences)}"
        # fewshot against itself: every run against cpu.float32.
        base = mats.get("cpu.float32")
        if base is not None:
            for tag, m in mats.items():
                if tag != "cpu.float32" and m.shape == base.shape:
                    add(name, "fewshot cpu.float32", tag, compare(base, m), tag.split(".")[1])
        # sentence-transformers.
        if st_mod is not None:
            key = f"{name}:st"
            try:
                t = time.perf_counter()
                model = st_mod.SentenceTransformer(folder, device=a.st_device).float()
                model.eval()
                report["loads"][key] = f"ok ({time.perf_counter() - t:.1f}s; max_seq_length {model.max_seq_length})"
            except Exception as e:  # noqa: BLE001
                report["loads"][key] = "load failed: " + short_error(e)
                traceback.print_exc()
                model = None
            if model is not None:
                precisions = ["float32"]
                if a.st_device.startswith("cuda"):
                    precisions += ["float16", "bfloat16"]
                for prec in precisions:
                    try:
                        model.to(getattr(torch, prec))
                        ref = st_encode(model, sentences, a.batch_size, torch)
                    except Exception as e:  # noqa: BLE001
                        report["loads"][f"{key}:{prec}"] = "encode failed: " + short_error(e)
                        traceback.print_exc()
                        continue
                    for tag, m in mats.items():
                        if m.shape != ref.shape:
                            continue
                        if prec == "float32" or tag.endswith("." + prec):
                            add(name, f"st {a.st_device} {prec}", tag, compare(ref, m), tag.split(".")[1])
                    if name == a.time_model:
                        times = []
                        st_encode(model, sentences[:256], a.batch_size, torch)
                        for _ in range(a.time_runs):
                            sync(torch, a.st_device)
                            t = time.perf_counter()
                            st_encode(model, sentences, a.batch_size, torch)
                            sync(torch, a.st_device)
                            times.append(time.perf_counter() - t)
                        med = statistics.median(times)
                        report["timing"].append({"model": name, "device": a.st_device, "precision": prec,
                                                 "batch_size": a.batch_size, "runs_s": times,
                                                 "sentences_per_s": len(sentences) / med})
                        print(f"timing: sentence-transformers {name} {a.st_device} {prec} batch {a.batch_size}: "
                              f"{len(sentences) / med:.0f} sentences/s (median of {a.time_runs})", flush=True)
                del model
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
        # The independent reference (float32, CPU), on the first --ref-limit sentences.
        if ref_mod is not None:
            key = f"{name}:reference_encoder"
            try:
                pipe = ref_mod.ReferencePipeline(folder)
                sub = sentences[: a.ref_limit]
                outs = []
                for i in range(0, len(sub), 32):
                    ids, mask, types = pipe.batch(pipe.encode_texts(sub[i : i + 32]))
                    outs.append(pipe.run(ids, mask, types)["sentence_embedding"].numpy())
                ref = np.concatenate(outs)
                report["loads"][key] = f"ok ({len(sub)} sentences)"
            except Exception as e:  # noqa: BLE001
                report["loads"][key] = "failed: " + short_error(e)
                traceback.print_exc()
                ref = None
            if ref is not None:
                for tag, m in mats.items():
                    if m.shape[1:] == ref.shape[1:] and m.shape[0] >= ref.shape[0]:
                        add(name, "reference_encoder cpu", tag, compare(ref, m[: ref.shape[0]]), tag.split(".")[1])

    with open(os.path.join(a.out, "st_compare.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    lines = [f"st_compare: {len(sentences)} sentences; " + ", ".join(f"{k} {v}" for k, v in report["env"].items())]
    lines.append("loads:")
    lines += [f"  {k:34s} {v}" for k, v in report["loads"].items()]
    lines.append("comparisons (min cosine over rows; max abs diff; relative to the reference's largest |x|):")
    lines.append(f"  {'model':10s} {'fewshot run':16s} {'against':24s} {'min cos':>10s} {'mean cos':>10s} "
                 f"{'max abs':>9s} {'rel':>9s}  verdict")
    for c in report["comparisons"]:
        lines.append(f"  {c['model']:10s} {c['fewshot']:16s} {c['reference']:24s} {c['min_cos']:10.7f} "
                     f"{c['mean_cos']:10.7f} {c['max_abs']:9.2e} {c['rel_max_abs']:9.2e}  {c['verdict']}")
    bad = [c for c in report["comparisons"] if c["verdict"] != "ok"]
    lines.append(f"  {len(report['comparisons'])} comparisons, {len(bad)} not ok")
    if report["timing"]:
        lines.append("sentence-transformers encode timing:")
        for t in report["timing"]:
            lines.append(f"  {t['model']} {t['device']} {t['precision']:8s} batch {t['batch_size']}: "
                         f"{t['sentences_per_s']:8.0f} sentences/s  (runs {', '.join(f'{x:.3f}s' for x in t['runs_s'])})")
    with open(os.path.join(a.out, "st_compare.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
