#!/usr/bin/python3
"""Writes a MiniLM-L6-shaped sentence-transformers folder with random weights, for benchmarks only.

Shape as all-MiniLM-L6-v2: BERT, 6 layers, hidden 384, 12 heads, intermediate 1536, vocabulary 30522
(the bert-base-uncased tokenizer from ../shared/data), max_seq_length 256, mean pooling, Normalize.
Weights are N(0, 0.02) as Hugging Face initialises BERT, LayerNorm 1/0: the speed is that of the real
model, the embeddings mean nothing.

Other shapes (--layers, --hidden, --heads, --intermediate, --max-seq-length) make the random starting
point of scripts/train_default_model.sh.

Usage: /usr/bin/python3 scripts/make_bench_model.py OUT_DIR [--seed 0] [--layers 6]
"""
import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_models import write_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--intermediate", type=int, default=1536)
    ap.add_argument("--max-seq-length", type=int, default=256)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("FEWSHOT_SHARED_DATA", os.path.join(here, "..", "..", "shared", "data"))
    tok = os.path.join(shared, "tokenizers", "bert-base-uncased", "tokenizer.json")
    vocab = os.path.join(shared, "tokenizers", "bert-base-uncased", "vocab.txt")
    os.makedirs(os.path.join(a.out, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "2_Normalize"), exist_ok=True)
    shutil.copy(tok, os.path.join(a.out, "tokenizer.json"))
    shutil.copy(vocab, os.path.join(a.out, "vocab.txt"))
    H, L, I, V, P = a.hidden, a.layers, a.intermediate, 30522, 512
    cfg = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H, "num_hidden_layers": L,
           "num_attention_heads": a.heads, "intermediate_size": I, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
           "max_position_embeddings": P, "type_vocab_size": 2, "pad_token_id": 0, "vocab_size": V,
           "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "position_embedding_type": "absolute"}
    files = {
        "config.json": cfg,
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
        "sentence_bert_config.json": {"max_seq_length": a.max_seq_length, "do_lower_case": False},
        "1_Pooling/config.json": {"word_embedding_dimension": H, "pooling_mode_cls_token": False,
                                  "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
                                  "pooling_mode_mean_sqrt_len_tokens": False},
    }
    for name, obj in files.items():
        with open(os.path.join(a.out, name), "w") as f:
            json.dump(obj, f, indent=2)
    g = torch.Generator().manual_seed(a.seed)
    sd = {}

    def n(name, *shape):
        sd[name] = torch.randn(*shape, generator=g) * 0.02

    def lin(p, o, i):
        n(p + ".weight", o, i)
        sd[p + ".bias"] = torch.zeros(o)

    def ln(p):
        sd[p + ".weight"] = torch.ones(H)
        sd[p + ".bias"] = torch.zeros(H)

    n("embeddings.word_embeddings.weight", V, H)
    n("embeddings.position_embeddings.weight", P, H)
    n("embeddings.token_type_embeddings.weight", 2, H)
    ln("embeddings.LayerNorm")
    for i in range(L):
        p = f"encoder.layer.{i}."
        for s in ("query", "key", "value"):
            lin(p + "attention.self." + s, H, H)
        lin(p + "attention.output.dense", H, H)
        ln(p + "attention.output.LayerNorm")
        lin(p + "intermediate.dense", I, H)
        lin(p + "output.dense", H, I)
        ln(p + "output.LayerNorm")
    write_safetensors(os.path.join(a.out, "model.safetensors"), sd)
    print(a.out)


if __name__ == "__main__":
    main()
