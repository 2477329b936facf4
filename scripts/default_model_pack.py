#!/usr/bin/python3
"""Writes a sentence-transformers folder whose weights are the float32 weights of one or more trained
folders, averaged element-wise and stored as float16.

Used by scripts/train_default_model.sh for the embedded default model. With several sources this is a
uniform "model soup" (Wortsman et al., 2022): the sources must be fine-tuned from one common model (same
architecture, same tensor names and shapes), and the configuration and tokenizer files are taken from the
first. float16 halves the size and the loader widens the weights back to float32. Training state (metrics,
checkpoints) is left behind.

Usage: /usr/bin/python3 scripts/default_model_pack.py DST_DIR SRC_DIR [SRC_DIR...]
"""
import json
import os
import shutil
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_models import write_safetensors  # noqa: E402

KEEP = ["config.json", "config_sentence_transformers.json", "modules.json", "sentence_bert_config.json",
        "tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: {name} is {info['dtype']}, expected F32")
        lo, hi = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[base + lo:base + hi]), dtype=torch.float32).reshape(info["shape"])
    return out


def average(srcs):
    """The element-wise mean of the sources' weights; exits naming the folder whose tensors differ."""
    first = read_safetensors(os.path.join(srcs[0], "model.safetensors"))
    total = {k: v.double() for k, v in first.items()}
    for src in srcs[1:]:
        sd = read_safetensors(os.path.join(src, "model.safetensors"))
        if sorted(sd) != sorted(first):
            raise SystemExit(f"{src}: tensor names differ from {srcs[0]}: "
                             f"{sorted(set(sd) ^ set(first))[:5]}")
        for k, v in sd.items():
            if v.shape != first[k].shape:
                raise SystemExit(f"{src}: {k} has shape {list(v.shape)}, {srcs[0]} has {list(first[k].shape)}")
            total[k] += v.double()
    return {k: (v / len(srcs)).float() for k, v in total.items()}


def main():
    if len(sys.argv) < 3:
        raise SystemExit("usage: default_model_pack.py DST_DIR SRC_DIR [SRC_DIR...]")
    dst, srcs = sys.argv[1], sys.argv[2:]
    src = srcs[0]
    os.makedirs(dst, exist_ok=True)
    for name in KEEP:
        if os.path.exists(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), os.path.join(dst, name))
    for entry in sorted(os.listdir(src)):
        p = os.path.join(src, entry)
        if os.path.isdir(p) and entry[0].isdigit():
            shutil.copytree(p, os.path.join(dst, entry), dirs_exist_ok=True)
    sd = average(srcs)
    write_safetensors(os.path.join(dst, "model.safetensors"), {k: v.half() for k, v in sd.items()})


if __name__ == "__main__":
    main()
