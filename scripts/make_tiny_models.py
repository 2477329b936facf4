#!/usr/bin/python3
"""Write the tiny random sentence-transformers models and their expected outputs.

One command regenerates everything under model/testdata (run from the repo root,
with Debian's python3-torch; transformers/safetensors are not needed):

    /usr/bin/python3 scripts/make_tiny_models.py --out model/testdata/models

It writes four folders in the layout SentenceTransformer.save() produces
(bert, distilbert, roberta, mpnet; random weights, no pretrained ones), then
computes model/testdata/expected.json (the directory above --out) with the
independent reference in scripts/reference_encoder.py, reading the folders back
from disk. Everything is seeded, so a rerun with the same torch build gives the
same bytes.

Vocabulary (shared by all four models, VOCAB_SIZE tokens): from the
bert-base-uncased vocab.txt in ../shared/data we keep, in their original
order, (1) [PAD] [UNK] [CLS] [SEP] [MASK], (2) every single-character token
and its "##" form, (3) the most frequent word pieces obtained by tokenizing
every sentence (both columns) of similarity/stsbenchmark/sts-train.csv with the
full bert-base-uncased vocabulary, ties broken by the original id, until
VOCAB_SIZE tokens. bert and distilbert use it as is ([PAD]=0, [UNK]=1,
[CLS]=2, [SEP]=3, [MASK]=4). roberta and mpnet put <s>=0, <pad>=1, </s>=2,
<unk>=3 first, then the same word pieces in the same order, and <mask> last.

Sanity checks run every time (the script stops on the first failure): the
tokenizer against the transformers.js cases for bert-base-uncased; the
safetensors/.bin round trip; every encoder against one rebuilt from
torch.nn.Embedding, torch.nn.LayerNorm and torch.nn.TransformerEncoderLayer;
pooling by hand; padding invariance; and that deliberate mistakes (no padding
mask, wrong positions, no relative bias) move the outputs far beyond the
tolerance.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import os
import shutil
import struct
import sys
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_encoder as ref  # noqa: E402

SEED = 20251126
VOCAB_SIZE = 4000
HIDDEN = 32
LAYERS = 2
HEADS = 4
INTERMEDIATE = 64
MATRIX_STD = 0.2
BIAS_STD = 0.1
LN_STD = 0.1
PADDING_TOLERANCE = 1e-6
MODULE_CHECK_TOLERANCE = 1e-5

# Versions written into the config files: the formats mimicked are those of
# sentence-transformers 5.1 / transformers 4.51 (no such library wrote these files).
ST_VERSION = "5.1.2"
TRANSFORMERS_VERSION = "4.51.3"

BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]

# 8 fixture texts: STS-B sentences, an empty and a whitespace-only string, an
# accented string, and one long text (an emoji and a 120-character word give
# [UNK]; CJK characters are split) that every model truncates.
LONG_TEXT = (
    "The quick brown fox \U0001F98A jumps over the lazy dog near \u6771\u4eac station; "
    + "x" * 120
    + " then three children stand on or near a fence, while a man is playing a large flute and "
    "NYPD's twitter campaign backfires badly. Airlines cancel 'flytilla' activists' tickets to Tel Aviv."
)
TEXTS = [
    "A plane is taking off.",
    "",
    'Cavender did say: "I felt that if I disagreed with Rosie too much I would lose my job."',
    "   \t\n  ",
    "Cr\u00e8me br\u00fbl\u00e9e at the Caf\u00e9 Zo\u00eb, na\u00efve r\u00e9sum\u00e9 \u2014 d\u00e9j\u00e0 vu!",
    LONG_TEXT,
    "NYPD's twitter campaign backfires",
    "Three children stand on or near a fence.",
]
STS_TEXTS = [TEXTS[0], TEXTS[2], TEXTS[6], TEXTS[7]]  # copied from sts-train.csv (checked below)

# name -> description of the folder
MODELS = {
    "bert": dict(
        family="bert",
        max_seq_length=48,
        max_position_embeddings=64,
        pooling=["mean"],
        dense=None,
        normalize=True,
        weights="model.safetensors",
        dtype=torch.float32,
        tokenizer_trunc_pad=True,
        seed=1,
    ),
    "distilbert": dict(
        family="bert",
        max_seq_length=40,
        max_position_embeddings=64,
        pooling=["cls"],
        dense=dict(out_features=16, activation="torch.nn.modules.activation.Tanh"),
        normalize=False,
        weights="pytorch_model.bin",
        dtype=torch.float32,
        tokenizer_trunc_pad=False,
        seed=2,
    ),
    "roberta": dict(
        family="roberta",
        max_seq_length=48,
        max_position_embeddings=50,
        pooling=["max", "mean"],
        dense=None,
        normalize=False,
        weights="model.safetensors",
        dtype=torch.float16,
        tokenizer_trunc_pad=True,
        seed=3,
    ),
    "mpnet": dict(
        family="roberta",
        max_seq_length=40,
        max_position_embeddings=42,
        pooling=["mean_sqrt_len_tokens"],
        dense=None,
        normalize=True,
        weights="model.safetensors",
        dtype=torch.bfloat16,
        tokenizer_trunc_pad=False,
        seed=4,
    ),
}

POOLING_KEYS = {
    "cls": "pooling_mode_cls_token",
    "mean": "pooling_mode_mean_tokens",
    "max": "pooling_mode_max_tokens",
    "mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens",
    "weightedmean": "pooling_mode_weightedmean_tokens",
    "lasttoken": "pooling_mode_lasttoken",
}


def fail(msg: str) -> None:
    raise SystemExit(f"make_tiny_models: check failed: {msg}")


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------


def read_sts_sentences(path: str) -> List[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7:
                raise SystemExit(f"{path} line {n}: {len(cols)} columns, want at least 7")
            out.extend([cols[5], cols[6]])
    return out


def build_vocab(bert_vocab_path: str, sts_path: str) -> List[str]:
    with open(bert_vocab_path, encoding="utf-8") as f:
        full = [line.rstrip("\n") for line in f]
    if full and full[-1] == "":
        full.pop()
    full_ids = {t: i for i, t in enumerate(full)}
    keep = set(BERT_SPECIALS)
    for t in full:
        if len(t) == 1:
            keep.add(t)
            if "##" + t in full_ids:
                keep.add("##" + t)
    tok = ref.WordPieceTokenizer(full_ids, "[UNK]", [], [], lowercase=True)
    counts: collections.Counter = collections.Counter()
    for s in read_sts_sentences(sts_path):
        counts.update(tok.tokenize(s))
    for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], full_ids[kv[0]])):
        if len(keep) >= VOCAB_SIZE:
            break
        keep.add(t)
    vocab = sorted(keep, key=lambda t: full_ids[t])
    check(len(vocab) == VOCAB_SIZE, f"vocabulary has {len(vocab)} tokens, want {VOCAB_SIZE}")
    check(vocab[:5] == BERT_SPECIALS, f"first tokens are {vocab[:5]}")
    return vocab


def family_vocab(vocab: List[str], family: str) -> List[str]:
    if family == "bert":
        return list(vocab)
    body = [t for t in vocab if t not in BERT_SPECIALS]
    return ROBERTA_SPECIALS + body + ["<mask>"]


# ---------------------------------------------------------------------------
# Tokenizer files
# ---------------------------------------------------------------------------


def added_token(i: int, content: str, lstrip: bool = False) -> dict:
    return {
        "id": i,
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def template(cls_tok: str, sep_tok: str, ids: Dict[str, int], double_sep: bool) -> dict:
    def sp(t, type_id):
        return {"SpecialToken": {"id": t, "type_id": type_id}}

    def seq(s, type_id):
        return {"Sequence": {"id": s, "type_id": type_id}}

    pair = [sp(cls_tok, 0), seq("A", 0), sp(sep_tok, 0)]
    if double_sep:
        pair.append(sp(sep_tok, 0))
    pair += [seq("B", 1), sp(sep_tok, 1)]
    return {
        "type": "TemplateProcessing",
        "single": [sp(cls_tok, 0), seq("A", 0), sp(sep_tok, 0)],
        "pair": pair,
        "special_tokens": {
            t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in (cls_tok, sep_tok)
        },
    }


def tokenizer_files(name: str, spec: dict, vocab: List[str]) -> Dict[str, object]:
    ids = {t: i for i, t in enumerate(vocab)}
    max_len = spec["max_seq_length"]
    if spec["family"] == "bert":
        unk, pad, cls_tok, sep_tok, mask = "[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"
        added = [added_token(ids[t], t) for t in BERT_SPECIALS]
        post = template(cls_tok, sep_tok, ids, double_sep=False)
    else:
        unk, pad, cls_tok, sep_tok, mask = "<unk>", "<pad>", "<s>", "</s>", "<mask>"
        added = [added_token(ids[t], t) for t in ROBERTA_SPECIALS] + [added_token(ids[mask], mask, lstrip=True)]
        if name == "roberta":
            post = {
                "type": "RobertaProcessing",
                "sep": [sep_tok, ids[sep_tok]],
                "cls": [cls_tok, ids[cls_tok]],
                "trim_offsets": True,
                "add_prefix_space": False,
            }
        else:
            post = template(cls_tok, sep_tok, ids, double_sep=True)
    truncation = padding = None
    if spec["tokenizer_trunc_pad"]:
        truncation = {"direction": "Right", "max_length": max_len, "strategy": "LongestFirst", "stride": 0}
        padding = {
            "strategy": "BatchLongest",
            "direction": "Right",
            "pad_to_multiple_of": 8 if name == "roberta" else None,
            "pad_id": ids[pad],
            "pad_type_id": 0,
            "pad_token": pad,
        }
    tokenizer_json = {
        "version": "1.0",
        "truncation": truncation,
        "padding": padding,
        "added_tokens": added,
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": post,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": unk,
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": ids,
        },
    }
    decoder = {
        str(a["id"]): {
            "content": a["content"],
            "lstrip": a["lstrip"],
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for a in added
    }
    model_max_length = spec["max_position_embeddings"] if spec["family"] == "bert" else max_len
    if name in ("bert", "distilbert"):
        tok_config = {
            "added_tokens_decoder": decoder,
            "clean_up_tokenization_spaces": True,
            "cls_token": cls_tok,
            "do_basic_tokenize": True,
            "do_lower_case": True,
            "extra_special_tokens": {},
            "mask_token": mask,
            "model_max_length": model_max_length,
            "never_split": None,
            "pad_token": pad,
            "sep_token": sep_tok,
            "strip_accents": None,
            "tokenize_chinese_chars": True,
            "tokenizer_class": "BertTokenizer" if name == "bert" else "DistilBertTokenizer",
            "unk_token": unk,
        }
        special_map = {"cls_token": cls_tok, "mask_token": mask, "pad_token": pad, "sep_token": sep_tok, "unk_token": unk}
    else:
        tok_config = {
            "added_tokens_decoder": decoder,
            "bos_token": cls_tok,
            "clean_up_tokenization_spaces": True,
            "cls_token": cls_tok,
            "eos_token": sep_tok,
            "extra_special_tokens": {},
            "mask_token": mask,
            "model_max_length": model_max_length,
            "pad_token": pad,
            "sep_token": sep_tok,
            "unk_token": unk,
        }
        if name == "roberta":
            tok_config.update({"add_prefix_space": False, "errors": "replace", "tokenizer_class": "RobertaTokenizer", "trim_offsets": True})
        else:
            tok_config.update({"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True, "tokenizer_class": "MPNetTokenizer"})
        tok_config = dict(sorted(tok_config.items()))
        special_map = {
            "bos_token": cls_tok,
            "cls_token": cls_tok,
            "eos_token": sep_tok,
            "mask_token": {"content": mask, "lstrip": True, "normalized": False, "rstrip": False, "single_word": False},
            "pad_token": pad,
            "sep_token": sep_tok,
            "unk_token": unk,
        }
    return {
        "tokenizer.json": tokenizer_json,
        "tokenizer_config.json": tok_config,
        "special_tokens_map.json": special_map,
    }


# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------


def weight_shapes(name: str, spec: dict, vocab_size: int) -> List[tuple]:
    H, I, P = HIDDEN, INTERMEDIATE, spec["max_position_embeddings"]
    shapes: List[tuple] = []

    def lin(prefix, out_f, in_f):
        shapes.append((prefix + ".weight", (out_f, in_f)))
        shapes.append((prefix + ".bias", (out_f,)))

    def ln(prefix):
        shapes.append((prefix + ".weight", (H,)))
        shapes.append((prefix + ".bias", (H,)))

    shapes.append(("embeddings.word_embeddings.weight", (vocab_size, H)))
    shapes.append(("embeddings.position_embeddings.weight", (P, H)))
    if name == "bert":
        shapes.append(("embeddings.token_type_embeddings.weight", (2, H)))
    elif name == "roberta":
        shapes.append(("embeddings.token_type_embeddings.weight", (1, H)))
    ln("embeddings.LayerNorm")
    for i in range(LAYERS):
        if name in ("bert", "roberta"):
            p = f"encoder.layer.{i}."
            for part in ("query", "key", "value"):
                lin(p + "attention.self." + part, H, H)
            lin(p + "attention.output.dense", H, H)
            ln(p + "attention.output.LayerNorm")
            lin(p + "intermediate.dense", I, H)
            lin(p + "output.dense", H, I)
            ln(p + "output.LayerNorm")
        elif name == "distilbert":
            p = f"transformer.layer.{i}."
            for part in ("q_lin", "k_lin", "v_lin", "out_lin"):
                lin(p + "attention." + part, H, H)
            ln(p + "sa_layer_norm")
            lin(p + "ffn.lin1", I, H)
            lin(p + "ffn.lin2", H, I)
            ln(p + "output_layer_norm")
        else:  # mpnet
            p = f"encoder.layer.{i}."
            for part in ("q", "k", "v", "o"):
                lin(p + "attention.attn." + part, H, H)
            ln(p + "attention.LayerNorm")
            lin(p + "intermediate.dense", I, H)
            lin(p + "output.dense", H, I)
            ln(p + "output.LayerNorm")
    if name == "mpnet":
        shapes.append(("encoder.relative_attention_bias.weight", (32, HEADS)))
    if name != "distilbert":
        lin("pooler.dense", H, H)
    return shapes


def init_weights(shapes: List[tuple], gen: torch.Generator, pad_id: int, roberta_like: bool) -> Dict[str, torch.Tensor]:
    """Matrices N(0, 0.2), LayerNorm weights 1 + N(0, 0.1), biases N(0, 0.1); the padding
    rows of the word (and, for RoBERTa/MPNet, position) embeddings are zero, as in
    transformers' own initialisation of embeddings with a padding_idx."""
    sd: Dict[str, torch.Tensor] = {}
    for name, shape in shapes:
        noise = torch.randn(shape, generator=gen, dtype=torch.float32)
        if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight"):
            t = 1.0 + LN_STD * noise
        elif name.endswith(".bias"):
            t = BIAS_STD * noise
        else:
            t = MATRIX_STD * noise
        sd[name] = t
    sd["embeddings.word_embeddings.weight"][pad_id].zero_()
    if roberta_like:
        sd["embeddings.position_embeddings.weight"][pad_id].zero_()
    return sd


_ST_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor]) -> None:
    """safetensors: u64 LE header length, JSON header (padded with spaces to a multiple
    of 8), then the raw little-endian tensor bytes in sorted-name order."""
    header: Dict[str, object] = {"__metadata__": {"format": "pt"}}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        elif t.dtype == torch.float16:
            raw = t.numpy().astype("<f2").tobytes()
        elif t.dtype == torch.float32:
            raw = t.numpy().astype("<f4").tobytes()
        else:
            raise ValueError(f"{name}: dtype {t.dtype} not written")
        header[name] = {"dtype": _ST_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for c in chunks:
            f.write(c)


# ---------------------------------------------------------------------------
# Config files
# ---------------------------------------------------------------------------


def hf_config(name: str, spec: dict, vocab_size: int) -> dict:
    dtype = {torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16"}[spec["dtype"]]
    common = {
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": HIDDEN,
        "initializer_range": MATRIX_STD,
        "intermediate_size": INTERMEDIATE,
        "max_position_embeddings": spec["max_position_embeddings"],
        "num_attention_heads": HEADS,
        "num_hidden_layers": LAYERS,
        "torch_dtype": dtype,
        "transformers_version": TRANSFORMERS_VERSION,
        "vocab_size": vocab_size,
    }
    if name == "bert":
        cfg = dict(
            common,
            architectures=["BertModel"],
            classifier_dropout=None,
            layer_norm_eps=1e-12,
            model_type="bert",
            pad_token_id=0,
            position_embedding_type="absolute",
            type_vocab_size=2,
            use_cache=True,
        )
    elif name == "roberta":
        cfg = dict(
            common,
            architectures=["RobertaModel"],
            bos_token_id=0,
            classifier_dropout=None,
            eos_token_id=2,
            layer_norm_eps=1e-05,
            model_type="roberta",
            pad_token_id=1,
            position_embedding_type="absolute",
            type_vocab_size=1,
            use_cache=True,
        )
    elif name == "mpnet":
        cfg = dict(
            common,
            architectures=["MPNetModel"],
            bos_token_id=0,
            eos_token_id=2,
            layer_norm_eps=1e-05,
            model_type="mpnet",
            pad_token_id=1,
            relative_attention_num_buckets=32,
        )
    else:
        cfg = {
            "activation": "gelu",
            "architectures": ["DistilBertModel"],
            "attention_dropout": 0.1,
            "dim": HIDDEN,
            "dropout": 0.1,
            "hidden_dim": INTERMEDIATE,
            "initializer_range": MATRIX_STD,
            "max_position_embeddings": spec["max_position_embeddings"],
            "model_type": "distilbert",
            "n_heads": HEADS,
            "n_layers": LAYERS,
            "pad_token_id": 0,
            "qa_dropout": 0.1,
            "seq_classif_dropout": 0.2,
            "sinusoidal_pos_embds": False,
            "tie_weights_": True,
            "torch_dtype": dtype,
            "transformers_version": TRANSFORMERS_VERSION,
            "vocab_size": vocab_size,
        }
    return dict(sorted(cfg.items()))


def write_json(path: str, obj, indent: int = 2, sort_keys: bool = False) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
        f.write("\n")


def write_model(out_dir: str, name: str, spec: dict, vocab: List[str]):
    """Write one folder; return (encoder weights in their stored dtype, the same
    weights in float32 before rounding, the Dense weights or None)."""
    folder = os.path.join(out_dir, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    fam_vocab = family_vocab(vocab, spec["family"])
    pad_id = fam_vocab.index("[PAD]" if spec["family"] == "bert" else "<pad>")
    gen = torch.Generator().manual_seed(SEED * 10 + spec["seed"])
    sd32 = init_weights(weight_shapes(name, spec, len(fam_vocab)), gen, pad_id, spec["family"] == "roberta")
    stored = {k: v.to(spec["dtype"]).contiguous() for k, v in sd32.items()}
    if spec["weights"] == "model.safetensors":
        write_safetensors(os.path.join(folder, "model.safetensors"), stored)
    else:
        torch.save({k: v.clone() for k, v in stored.items()}, os.path.join(folder, "pytorch_model.bin"))
    write_json(os.path.join(folder, "config.json"), hf_config(name, spec, len(fam_vocab)))
    for fname, obj in tokenizer_files(name, spec, fam_vocab).items():
        write_json(os.path.join(folder, fname), obj)
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for t in fam_vocab))
    write_json(
        os.path.join(folder, "sentence_bert_config.json"),
        {"max_seq_length": spec["max_seq_length"], "do_lower_case": False},
        indent=4,
    )
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    os.makedirs(os.path.join(folder, "1_Pooling"))
    pooling_cfg = {"word_embedding_dimension": HIDDEN}
    for mode in ref.ALL_POOLING_MODES:
        pooling_cfg[POOLING_KEYS[mode]] = mode in spec["pooling"]
    pooling_cfg = {
        k: pooling_cfg[k]
        for k in [
            "word_embedding_dimension",
            "pooling_mode_cls_token",
            "pooling_mode_mean_tokens",
            "pooling_mode_max_tokens",
            "pooling_mode_mean_sqrt_len_tokens",
            "pooling_mode_weightedmean_tokens",
            "pooling_mode_lasttoken",
        ]
    }
    pooling_cfg["include_prompt"] = True
    write_json(os.path.join(folder, "1_Pooling", "config.json"), pooling_cfg, indent=4)
    stored_dense = None
    if spec["dense"]:
        d = spec["dense"]
        in_f = HIDDEN * len(spec["pooling"])
        dense_dir = os.path.join(folder, "2_Dense")
        os.makedirs(dense_dir)
        dgen = torch.Generator().manual_seed(SEED * 10 + spec["seed"] + 100)
        w = MATRIX_STD * torch.randn((d["out_features"], in_f), generator=dgen)
        b = BIAS_STD * torch.randn((d["out_features"],), generator=dgen)
        stored_dense = {"linear.weight": w, "linear.bias": b}
        write_safetensors(os.path.join(dense_dir, "model.safetensors"), stored_dense)
        write_json(
            os.path.join(dense_dir, "config.json"),
            {"in_features": in_f, "out_features": d["out_features"], "bias": True, "activation_function": d["activation"]},
            indent=4,
        )
        modules.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
    if spec["normalize"]:
        # SentenceTransformer.save() creates an empty 2_Normalize folder; git cannot keep
        # an empty folder, so it is left out (Normalize.load reads nothing from it).
        modules.append({"idx": len(modules), "name": str(len(modules)), "path": f"{len(modules)}_Normalize", "type": "sentence_transformers.models.Normalize"})
    write_json(os.path.join(folder, "modules.json"), modules)
    write_json(
        os.path.join(folder, "config_sentence_transformers.json"),
        {
            "model_type": "SentenceTransformer",
            "__version__": {"sentence_transformers": ST_VERSION, "transformers": TRANSFORMERS_VERSION, "pytorch": torch.__version__},
            "prompts": {"query": "", "document": ""},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    return stored, sd32, stored_dense


# ---------------------------------------------------------------------------
# Independent cross-check built from torch.nn modules
# ---------------------------------------------------------------------------


def module_encoder(name: str, cfg: dict, w: Dict[str, torch.Tensor], ids, mask, types) -> torch.Tensor:
    """The same encoder assembled from nn.Embedding, nn.LayerNorm and
    nn.TransformerEncoderLayer (post-norm, gelu, batch_first) loaded with the stored
    weights. MPNet's relative position bias goes in as a float attn mask."""
    w = {k: v.to(torch.float32) for k, v in w.items()}
    H = HIDDEN
    eps = 1e-12 if name in ("bert", "distilbert") else 1e-5

    def emb(key):
        e = nn.Embedding(*w[key].shape)
        e.weight.data.copy_(w[key])
        return e

    def lnorm(prefix):
        m = nn.LayerNorm(H, eps=eps)
        m.weight.data.copy_(w[prefix + ".weight"])
        m.bias.data.copy_(w[prefix + ".bias"])
        return m

    B, L = ids.shape
    if name in ("roberta", "mpnet"):
        keep = mask.to(torch.int64)  # from the attention mask, not from the ids
        pos = torch.cumsum(keep, dim=1) * keep + cfg["pad_token_id"]
    else:
        pos = torch.arange(L)[None, :].expand(B, L)
    x = emb("embeddings.word_embeddings.weight")(ids) + emb("embeddings.position_embeddings.weight")(pos)
    if name in ("bert", "roberta"):
        x = x + emb("embeddings.token_type_embeddings.weight")(types)
    x = lnorm("embeddings.LayerNorm")(x)

    key_padding = mask == 0
    attn_mask = None
    if name == "mpnet":
        # bucket table written out independently: |d| < 8 exact, then log-spaced to 128
        rel = torch.arange(L)[None, :] - torch.arange(L)[:, None]
        buckets = torch.empty((L, L), dtype=torch.int64)
        for i in range(L):
            for j in range(L):
                d = int(rel[i, j])
                half = 16
                base = half if d > 0 else 0
                n = abs(d)
                if n < 8:
                    b = n
                else:
                    val = torch.log(torch.tensor(float(n), dtype=torch.float32) / 8) / math.log(128 / 8) * 8
                    b = min(8 + int(val.item()), half - 1)
                buckets[i, j] = base + b
        bias = w["encoder.relative_attention_bias.weight"][buckets].permute(2, 0, 1)  # (heads, L, L)
        pad_add = torch.zeros(B, 1, 1, L).masked_fill(key_padding[:, None, None, :], torch.finfo(torch.float32).min)
        attn_mask = (bias[None] + pad_add).reshape(B * HEADS, L, L)
        key_padding = None

    for i in range(LAYERS):
        layer = nn.TransformerEncoderLayer(
            H, HEADS, dim_feedforward=INTERMEDIATE, dropout=0.0, activation="gelu",
            layer_norm_eps=eps, batch_first=True, norm_first=False,
        )
        if name in ("bert", "roberta"):
            p = f"encoder.layer.{i}."
            q, k, v = (p + "attention.self." + s for s in ("query", "key", "value"))
            o, n1 = p + "attention.output.dense", p + "attention.output.LayerNorm"
            l1, l2, n2 = p + "intermediate.dense", p + "output.dense", p + "output.LayerNorm"
        elif name == "distilbert":
            p = f"transformer.layer.{i}."
            q, k, v, o = (p + "attention." + s for s in ("q_lin", "k_lin", "v_lin", "out_lin"))
            n1, l1, l2, n2 = p + "sa_layer_norm", p + "ffn.lin1", p + "ffn.lin2", p + "output_layer_norm"
        else:
            p = f"encoder.layer.{i}."
            q, k, v, o = (p + "attention.attn." + s for s in ("q", "k", "v", "o"))
            n1, l1, l2, n2 = p + "attention.LayerNorm", p + "intermediate.dense", p + "output.dense", p + "output.LayerNorm"
        sa = layer.self_attn
        sa.in_proj_weight.data.copy_(torch.cat([w[q + ".weight"], w[k + ".weight"], w[v + ".weight"]]))
        sa.in_proj_bias.data.copy_(torch.cat([w[q + ".bias"], w[k + ".bias"], w[v + ".bias"]]))
        sa.out_proj.weight.data.copy_(w[o + ".weight"])
        sa.out_proj.bias.data.copy_(w[o + ".bias"])
        for mod, key in ((layer.linear1, l1), (layer.linear2, l2), (layer.norm1, n1), (layer.norm2, n2)):
            mod.weight.data.copy_(w[key + ".weight"])
            mod.bias.data.copy_(w[key + ".bias"])
        layer.eval()
        with torch.enable_grad():  # keeps nn.MultiheadAttention off its fused inference path
            x = layer(x, src_mask=attn_mask, src_key_padding_mask=key_padding).detach()
    return x


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


def f32(values) -> list:
    """Shortest decimal strings that parse back to the same float32 values."""
    arr = np.asarray(values, dtype=np.float32)
    if arr.ndim == 0:
        # str(np.float32) is the shortest round-tripping decimal; as a Python float its
        # repr is the same short string, and it rounds back to the same float32.
        return float(str(np.float32(arr)))
    return [f32(a) for a in arr]


def dump_fixture(obj, indent: int = 0) -> str:
    """JSON with one line per scalar-only list (compact but still diffable)."""
    pad = " " * indent
    inner = " " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump_fixture(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        items = [inner + dump_fixture(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max()) if a.numel() else 0.0


def model_fixture(out_dir: str, name: str, spec: dict, stored, sd32, stored_dense) -> dict:
    folder = os.path.join(out_dir, name)
    pipe = ref.ReferencePipeline(folder)
    enc = pipe.encoder
    check(set(enc.w) == set(stored), f"{name}: weights read back have other names")
    for k, v in stored.items():
        check(torch.equal(enc.w[k], v.to(torch.float32)), f"{name}: weight {k} did not survive the file round trip")
    if stored_dense is not None:
        dense = [arg for kind, arg in pipe.stages if kind == "dense"]
        check(len(dense) == 1, f"{name}: want one Dense stage, got {len(dense)}")
        check(torch.equal(dense[0][0], stored_dense["linear.weight"]), f"{name}: Dense weight round trip")
        check(torch.equal(dense[0][1], stored_dense["linear.bias"]), f"{name}: Dense bias round trip")
    encodings = pipe.encode_texts(TEXTS)
    for text, e in zip(TEXTS, encodings):
        check(len(e["input_ids"]) <= spec["max_seq_length"], f"{name}: {text!r} longer than max_seq_length")
    long_pieces = pipe.tokenizer.tokenize(LONG_TEXT)
    check(len(long_pieces) + 2 > spec["max_seq_length"], f"{name}: long text does not truncate")
    check(len(encodings[5]["input_ids"]) == spec["max_seq_length"], f"{name}: long text not cut at max_seq_length")
    unk = pipe.tokenizer.vocab[pipe.tokenizer.unk_token]
    check(unk in encodings[5]["input_ids"], f"{name}: long text has no unknown token")

    texts_out = []
    singles = []
    for text, e in zip(TEXTS, encodings):
        ids = torch.tensor([e["input_ids"]])
        mask = torch.tensor([e["attention_mask"]])
        types = torch.tensor([e["token_type_ids"]])
        out = pipe.run(ids, mask, types)
        singles.append(out)
        # module-based cross-check of the encoder
        mod = module_encoder(name, enc.config, stored, ids, mask, types)
        d = max_diff(mod, out["token_embeddings"])
        check(d < MODULE_CHECK_TOLERANCE, f"{name}: functional vs nn.TransformerEncoderLayer differ by {d} on {text!r}")
        pos = enc.position_ids(ids)[0].tolist()
        texts_out.append(
            {
                "text": text,
                "tokens": e["tokens"],
                "input_ids": e["input_ids"],
                "token_type_ids": e["token_type_ids"],
                "attention_mask": e["attention_mask"],
                "position_ids": pos,
                "token_embeddings": f32(out["token_embeddings"][0]),
                "pooled": {m: f32(out["pooled"][m][0]) for m in ref.ALL_POOLING_MODES},
                "pooling_output": f32(out["pooling_output"][0]),
                "sentence_embedding": f32(out["sentence_embedding"][0]),
            }
        )

    # padded batch of all texts
    ids, mask, types = pipe.batch(encodings)
    bout = pipe.run(ids, mask, types)
    mod = module_encoder(name, enc.config, stored, ids, mask, types)
    real = mask.bool()
    d = max_diff(mod[real], bout["token_embeddings"][real])
    check(d < MODULE_CHECK_TOLERANCE, f"{name}: module cross-check on the padded batch differs by {d}")
    if name in ("roberta", "mpnet"):
        from_mask = torch.cumsum(mask, 1) * mask + enc.config["pad_token_id"]
        check(torch.equal(enc.position_ids(ids), from_mask), f"{name}: positions from ids != positions from mask")
    # Padding must change nothing: sentence embeddings within 1e-6 absolute; token
    # embeddings and pooled vectors (values up to ~20) within 1e-6 relative to their
    # magnitude, i.e. a few float32 ulps of reordered sums.
    pad_diff = 0.0
    pad_rel = 0.0
    for i, s in enumerate(singles):
        L = len(encodings[i]["input_ids"])
        pad_diff = max(pad_diff, max_diff(bout["sentence_embedding"][i], s["sentence_embedding"][0]))
        pairs = [(bout["token_embeddings"][i, :L], s["token_embeddings"][0])]
        pairs += [(bout["pooled"][m][i], s["pooled"][m][0]) for m in ref.ALL_POOLING_MODES]
        for got, want in pairs:
            pad_rel = max(pad_rel, max_diff(got, want) / max(1.0, float(want.abs().max())))
    check(pad_diff < PADDING_TOLERANCE, f"{name}: padding changes sentence embeddings by {pad_diff}")
    check(pad_rel < PADDING_TOLERANCE, f"{name}: padding changes token/pooled outputs by {pad_rel} (relative)")
    # mean / max / cls / lasttoken pooling by hand, in plain Python over the batch
    tok = bout["token_embeddings"].tolist()
    hand_diff = 0.0
    for i, e in enumerate(encodings):
        L = len(e["input_ids"])
        rows = tok[i][:L]
        mean = [sum(r[j] for r in rows) / L for j in range(HIDDEN)]
        mx = [max(r[j] for r in rows) for j in range(HIDDEN)]
        sq = [sum(r[j] for r in rows) / math.sqrt(L) for j in range(HIDDEN)]
        wsum = L * (L + 1) / 2
        wm = [sum((t + 1) * rows[t][j] for t in range(L)) / wsum for j in range(HIDDEN)]
        for mode, want in (("mean", mean), ("max", mx), ("mean_sqrt_len_tokens", sq), ("weightedmean", wm), ("cls", rows[0]), ("lasttoken", rows[-1])):
            got = bout["pooled"][mode][i].tolist()
            hand_diff = max(hand_diff, max(abs(a - b) for a, b in zip(got, want)))
    check(hand_diff < 1e-5, f"{name}: pooling differs from the hand computation by {hand_diff}")
    # Normalize: unit norm
    if spec["normalize"]:
        norms = bout["sentence_embedding"].norm(dim=1)
        check(float((norms - 1).abs().max()) < 1e-6, f"{name}: normalized embeddings are not unit length")

    # sensitivity: deliberate mistakes must move the outputs well past the tolerance
    sens = sensitivity(pipe, name, ids, mask, types, bout, sd32)

    fixture = {
        "path": f"models/{name}",
        "model_type": enc.model_type,
        "weights_file": spec["weights"],
        "weights_dtype": str(spec["dtype"]).replace("torch.", ""),
        "vocab_size": len(pipe.tokenizer.vocab),
        "hidden_size": HIDDEN,
        "max_seq_length": spec["max_seq_length"],
        "pad_token_id": pipe.tokenizer.pad_id,
        "pooling_modes": pipe.pooling_modes,
        "modules": [m["type"].rsplit(".", 1)[-1] for m in pipe.modules],
        "embedding_dim": int(bout["sentence_embedding"].shape[1]),
        "texts": texts_out,
        "batch": {
            "input_ids": ids.tolist(),
            "attention_mask": mask.tolist(),
            "token_type_ids": types.tolist(),
            "sentence_embedding": f32(bout["sentence_embedding"]),
            "max_abs_diff_vs_single": pad_diff,
            "max_rel_diff_tokens_and_pooled_vs_single": pad_rel,
        },
        "sensitivity": sens,
    }
    if name == "mpnet":
        L = spec["max_seq_length"]
        rel = torch.arange(-(L - 1), L)
        fixture["relative_position_buckets"] = {
            "relative_positions": rel.tolist(),
            "buckets": ref.mpnet_relative_bucket(rel).tolist(),
        }
    return fixture


def sensitivity(pipe, name, ids, mask, types, bout, sd32) -> Dict[str, float]:
    """Max |difference| of the batch sentence embeddings under deliberate mistakes."""
    base = bout["sentence_embedding"]
    res: Dict[str, float] = {}
    enc = pipe.encoder

    def run_with(**patches):
        saved = {k: getattr(ref, k) for k in patches}
        try:
            for k, v in patches.items():
                setattr(ref, k, v)
            return pipe.run(ids, mask, types)["sentence_embedding"]
        finally:
            for k, v in saved.items():
                setattr(ref, k, v)

    res["no_padding_mask"] = max_diff(run_with(additive_mask=lambda m: torch.zeros(m.shape[0], 1, 1, m.shape[1])), base)
    if name == "distilbert":
        # distilbert masks with masked_fill; emulate "no mask" with an all-ones mask
        res["no_padding_mask"] = max_diff(pipe.run(ids, torch.ones_like(mask), types)["sentence_embedding"], base)
    res["gelu_tanh_instead_of_erf"] = max_diff(
        run_with(_activation=lambda n: (lambda x: F.gelu(x, approximate="tanh"))), base
    )
    if name in ("roberta", "mpnet"):
        res["positions_from_zero"] = max_diff(
            run_with(roberta_position_ids=lambda i, p: torch.arange(i.shape[1])[None, :].expand_as(i)), base
        )
    if name == "mpnet":
        res["no_relative_bias"] = max_diff(
            run_with(mpnet_position_bias=lambda w, L, num_buckets=32: torch.zeros(1, w.shape[1], L, L)), base
        )
        res["bias_transposed"] = max_diff(
            run_with(mpnet_position_bias=lambda w, L, num_buckets=32, f=ref.mpnet_position_bias: f(w, L).transpose(-1, -2)),
            base,
        )
    if name in ("roberta", "mpnet"):
        # computing with the float32 weights before they were rounded to the stored dtype
        saved = enc.w
        enc.w = {k: v.to(torch.float32) for k, v in sd32.items()}
        try:
            res["unrounded_float32_weights"] = max_diff(pipe.run(ids, mask, types)["sentence_embedding"], base)
        finally:
            enc.w = saved
    for k in ("no_padding_mask", "positions_from_zero", "no_relative_bias", "bias_transposed"):
        if k in res:
            check(res[k] > 1e-3, f"{name}: mistake {k} moves the embeddings only {res[k]}")
    return res


def check_tokenizer(shared: str) -> None:
    """Our tokenizer, given the full bert-base-uncased tokenizer.json, must reproduce the
    transformers.js expectations (single-sequence cases)."""
    cases = os.path.join(shared, "tokenizers", "cases", "bert-base-uncased.transformersjs.jsonl")
    tok = ref.WordPieceTokenizer.from_tokenizer_json(os.path.join(shared, "tokenizers", "bert-base-uncased", "tokenizer.json"))
    n = 0
    with open(cases, encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            if "pair" in case["name"].lower():
                continue
            got = tok.encode(case["text"])
            check(got["input_ids"] == case["ids"], f"tokenizer case {case['name']}: {got['input_ids']} != {case['ids']}")
            n += 1
    check(n >= 25, f"only {n} tokenizer cases checked")
    print(f"tokenizer: {n} transformers.js cases match", file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "model", "testdata", "models"), help="folder for the model folders")
    ap.add_argument(
        "--shared-data",
        default=os.environ.get("FEWSHOT_SHARED_DATA", os.path.join(here, "..", "..", "shared", "data")),
        help="the shared data folder (bert-base-uncased vocab, STS-B)",
    )
    ap.add_argument("--expected", default=None, help="fixture file (default: expected.json next to --out)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # deterministic reductions
    out = os.path.abspath(args.out)
    expected = args.expected or os.path.join(os.path.dirname(out), "expected.json")
    shared = os.path.abspath(args.shared_data)
    for p in ("tokenizers/bert-base-uncased/vocab.txt", "similarity/stsbenchmark/sts-train.csv"):
        if not os.path.exists(os.path.join(shared, p)):
            raise SystemExit(f"make_tiny_models: {os.path.join(shared, p)} not found (set --shared-data)")

    check_tokenizer(shared)
    sts = set(read_sts_sentences(os.path.join(shared, "similarity", "stsbenchmark", "sts-train.csv")))
    for t in STS_TEXTS:
        check(t in sts, f"fixture text {t!r} is not an STS-B train sentence")
    vocab = build_vocab(
        os.path.join(shared, "tokenizers", "bert-base-uncased", "vocab.txt"),
        os.path.join(shared, "similarity", "stsbenchmark", "sts-train.csv"),
    )
    for t in TEXTS:
        for special in BERT_SPECIALS + ROBERTA_SPECIALS + ["<mask>"]:
            check(special not in t, f"fixture text contains the special token {special}")

    os.makedirs(out, exist_ok=True)
    fixtures = {}
    for name, spec in MODELS.items():
        stored, sd32, stored_dense = write_model(out, name, spec, vocab)
        fixtures[name] = model_fixture(out, name, spec, stored, sd32, stored_dense)
        print(
            f"{name}: ok, padding diff {fixtures[name]['batch']['max_abs_diff_vs_single']:.2e}, "
            f"sensitivity {json.dumps({k: float(f'{v:.2e}') for k, v in fixtures[name]['sensitivity'].items()})}",
            file=sys.stderr,
        )

    doc = {
        "format": "fewshot tiny-model fixtures v1",
        "generator": "scripts/make_tiny_models.py (reference: scripts/reference_encoder.py)",
        "torch_version": torch.__version__,
        "float_format": "shortest decimal that parses back (as float32) to the computed float32 value",
        "notes": [
            "texts[i] is encoded alone (batch of 1, no padding); token_embeddings is the last hidden state (tokens x hidden).",
            "pooled has every pooling mode applied to token_embeddings; pooling_output concatenates the configured modes in sentence-transformers order (cls, max, mean, mean_sqrt_len_tokens, weightedmean, lasttoken); sentence_embedding is after Dense/Normalize.",
            "input ids follow sentence-transformers: text.strip(), tokenizer, truncation to max_seq_length with the special tokens kept.",
            "batch runs all texts at once, right-padded with pad_token_id (attention 0); its sentence_embedding rows equal the single runs within max_abs_diff_vs_single.",
            "float16/bfloat16 weights are upcast to float32 and everything is computed in float32.",
            "sensitivity: max |change| of the batch sentence embeddings under deliberate mistakes, to size tolerances.",
        ],
        "texts": TEXTS,
        "models": fixtures,
    }
    with open(expected, "w", encoding="utf-8") as f:
        f.write(dump_fixture(doc))
        f.write("\n")
    total = 0
    for root, _, files in os.walk(os.path.dirname(out)):
        total += sum(os.path.getsize(os.path.join(root, fn)) for fn in files)
    print(f"wrote {out} and {expected}; model/testdata holds {total / 1e6:.2f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
