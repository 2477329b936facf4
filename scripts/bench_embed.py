#!/usr/bin/python3
"""Times the Python PyTorch side of the embedding benchmark: the same model folder through a forward pass
written with torch.nn.functional exactly as Hugging Face's BertModel computes it (scripts/reference_encoder.py:
separate query/key/value projections, additive mask), mean pooling and normalisation, in inference mode,
length-sorted batches, on token ids produced by `fewshot tokenize --json` so both sides see the same input.

Usage: /usr/bin/python3 scripts/bench_embed.py MODEL_DIR IDS_JSONL [--batch-size 32] [--threads N] [--out emb.npy]
Prints: sentences, seconds, sentences/s (forward + pooling + copy to numpy; tokenisation excluded).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_encoder import ReferenceEncoder  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("ids")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    enc = ReferenceEncoder(a.model)
    seqs = [json.loads(line)["ids"] for line in open(a.ids, encoding="utf-8") if line.strip()]
    order = sorted(range(len(seqs)), key=lambda i: -len(seqs[i]))
    out = [None] * len(seqs)
    start = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(order), a.batch_size):
            idx = order[b:b + a.batch_size]
            L = max(len(seqs[i]) for i in idx)
            ids = torch.tensor([seqs[i] + [0] * (L - len(seqs[i])) for i in idx], dtype=torch.int64)
            mask = torch.tensor([[1] * len(seqs[i]) + [0] * (L - len(seqs[i])) for i in idx], dtype=torch.int64)
            h = enc.forward(ids, mask)
            m = mask.unsqueeze(-1).to(h.dtype)
            e = F.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), p=2.0, dim=1).numpy()
            for j, i in enumerate(idx):
                out[i] = e[j]
    el = time.perf_counter() - start
    if a.out:
        np.save(a.out, np.stack(out).astype(np.float32))
    print(f"python\t{len(seqs)}\t{el:.3f}\t{len(seqs) / el:.1f}\tthreads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
