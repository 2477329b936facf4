#!/usr/bin/python3
"""Times training steps in Python PyTorch for the training benchmark (scripts/bench_train.sh): the same
MiniLM-shaped model as `fewshot train`, written with torch.nn.functional as Hugging Face's BertModel
computes it (scripts/reference_encoder.py, no dropout), CosineSimilarityLoss on STS-B pairs (both sides
through the shared encoder, mean pooling), gradient clipping at 1 and torch.optim.AdamW (weight decay 0.01,
none on biases and LayerNorm weights), batch 32, on the token ids `fewshot tokenize` produced.

Usage: /usr/bin/python3 scripts/bench_train.py MODEL_DIR IDS_A.jsonl IDS_B.jsonl SCORES.txt [--steps 30] [--threads N]
Prints the median pairs/s over the steps after the first three.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_encoder import ReferenceEncoder  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("ids_a")
    ap.add_argument("ids_b")
    ap.add_argument("scores")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    enc = ReferenceEncoder(a.model)
    params = {k: v.detach().clone().requires_grad_(True) for k, v in enc.w.items() if v.is_floating_point()}
    enc.w.update(params)
    decay = [p for k, p in params.items() if not (k.endswith(".bias") or "LayerNorm" in k)]
    nodecay = [p for k, p in params.items() if k.endswith(".bias") or "LayerNorm" in k]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}], lr=2e-5)
    ida = [json.loads(l)["ids"] for l in open(a.ids_a, encoding="utf-8") if l.strip()]
    idb = [json.loads(l)["ids"] for l in open(a.ids_b, encoding="utf-8") if l.strip()]
    scores = [float(x) / 5.0 for x in open(a.scores, encoding="utf-8") if x.strip()]
    order = list(range(len(scores)))
    random.Random(0).shuffle(order)

    def embed(seqs):
        L = max(len(s) for s in seqs)
        ids = torch.tensor([s + [0] * (L - len(s)) for s in seqs], dtype=torch.int64)
        mask = torch.tensor([[1] * len(s) + [0] * (L - len(s)) for s in seqs], dtype=torch.int64)
        h = enc._bert_like(ids, mask, None)
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

    rates = []
    for step in range(a.steps):
        idx = [order[(step * a.batch_size + i) % len(order)] for i in range(a.batch_size)]
        start = time.perf_counter()
        u = embed([ida[i] for i in idx])
        v = embed([idb[i] for i in idx])
        loss = F.mse_loss(F.cosine_similarity(u, v), torch.tensor([scores[i] for i in idx]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        rates.append(a.batch_size / (time.perf_counter() - start))
    print(f"python\t{statistics.median(rates[3:]):.1f}\tpairs/s\tthreads={torch.get_num_threads()}")


if __name__ == "__main__":
    main()
