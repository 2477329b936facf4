#!/usr/bin/python3
"""Independent reference encoder for sentence-transformers model folders.

This is the truth the Go encoder is checked against. It reads a model folder
(modules.json, config.json, model.safetensors or pytorch_model.bin,
1_Pooling/config.json, an optional Dense module, Normalize) and computes the
last hidden state and the sentence embedding with PyTorch's functional ops
(torch.nn.functional), following the definitions of the Hugging Face
transformers models BERT, DistilBERT, RoBERTa and MPNet and of the
sentence-transformers modules Pooling, Dense and Normalize. It needs neither
transformers nor sentence-transformers nor safetensors: the safetensors reader
and the BERT WordPiece tokenizer below are written from the format
descriptions.

Run it with Debian's Python (python3-torch):

    /usr/bin/python3 scripts/reference_encoder.py model/testdata/models/bert "A man is playing a flute."

prints the tokens, ids and sentence embedding of each text as JSON.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import unicodedata
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------
# Tokenizer (BertNormalizer + BertPreTokenizer + WordPiece + post-processor),
# used only to build fixture inputs.
# ---------------------------------------------------------------------------


def _is_control(ch: str) -> bool:
    """Characters that BertNormalizer's clean_text removes (tab/newline/CR excluded)."""
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_whitespace(ch: str) -> bool:
    """Whitespace as the Hugging Face tokenizers library sees it (Unicode White_Space)."""
    if ch in "\t\n\r ":
        return True
    return ch.isspace()


def _is_punctuation(ch: str) -> bool:
    """ASCII punctuation or any Unicode P* category character."""
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


class WordPieceTokenizer:
    """A small BERT tokenizer: the behaviour of a Hugging Face tokenizer.json made of
    BertNormalizer, BertPreTokenizer, a WordPiece model and a Template/Roberta/Bert
    post-processor, for single sequences.

    Normalisation order follows the tokenizers library: clean text, space out CJK
    characters, strip accents (NFD, drop Mn) when strip_accents is true, or when it
    is null and lowercase is true, then lowercase character by character.
    Added tokens appearing literally in the text are not split out (callers must
    not pass such text).
    """

    def __init__(
        self,
        vocab: Dict[str, int],
        unk_token: str,
        prefix_tokens: Sequence[int],
        suffix_tokens: Sequence[int],
        prefix_type_ids: Optional[Sequence[int]] = None,
        suffix_type_ids: Optional[Sequence[int]] = None,
        sequence_type_id: int = 0,
        pad_id: int = 0,
        lowercase: bool = True,
        strip_accents: Optional[bool] = None,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        continuing_subword_prefix: str = "##",
        max_input_chars_per_word: int = 100,
    ) -> None:
        self.vocab = dict(vocab)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        if unk_token not in self.vocab:
            raise ValueError(f"unk token {unk_token!r} not in vocabulary")
        self.unk_token = unk_token
        self.prefix_tokens = list(prefix_tokens)
        self.suffix_tokens = list(suffix_tokens)
        self.prefix_type_ids = list(prefix_type_ids) if prefix_type_ids is not None else [0] * len(prefix_tokens)
        self.suffix_type_ids = list(suffix_type_ids) if suffix_type_ids is not None else [0] * len(suffix_tokens)
        self.sequence_type_id = sequence_type_id
        self.pad_id = pad_id
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self.clean_text = clean_text
        self.handle_chinese_chars = handle_chinese_chars
        self.prefix = continuing_subword_prefix
        self.max_chars = max_input_chars_per_word

    # -- construction from a tokenizer.json ---------------------------------
    @classmethod
    def from_tokenizer_json(cls, path: str) -> "WordPieceTokenizer":
        with open(path, encoding="utf-8") as f:
            tj = json.load(f)
        model = tj["model"]
        if model.get("type", "WordPiece") != "WordPiece":
            raise ValueError(f"{path}: model type {model.get('type')!r} is not WordPiece")
        norm = tj.get("normalizer") or {}
        if norm and norm.get("type") != "BertNormalizer":
            raise ValueError(f"{path}: normalizer {norm.get('type')!r} is not BertNormalizer")
        pre = tj.get("pre_tokenizer") or {}
        if pre and pre.get("type") != "BertPreTokenizer":
            raise ValueError(f"{path}: pre_tokenizer {pre.get('type')!r} is not BertPreTokenizer")
        vocab = model["vocab"]
        pp = tj.get("post_processor")
        prefix, suffix, prefix_t, suffix_t, seq_t = [], [], [], [], 0
        if pp is None:
            pass
        elif pp["type"] in ("RobertaProcessing", "BertProcessing"):
            prefix, suffix = [pp["cls"][1]], [pp["sep"][1]]
            prefix_t, suffix_t = [0], [0]
        elif pp["type"] == "TemplateProcessing":
            seen_seq = False
            for piece in pp["single"]:
                if "Sequence" in piece:
                    seen_seq = True
                    seq_t = piece["Sequence"]["type_id"]
                    continue
                sp = piece["SpecialToken"]
                ids = pp["special_tokens"][sp["id"]]["ids"]
                if seen_seq:
                    suffix += ids
                    suffix_t += [sp["type_id"]] * len(ids)
                else:
                    prefix += ids
                    prefix_t += [sp["type_id"]] * len(ids)
        else:
            raise ValueError(f"{path}: post_processor {pp['type']!r} not supported")
        pad_id = 0
        if tj.get("padding"):
            pad_id = tj["padding"]["pad_id"]
        else:
            for name in ("[PAD]", "<pad>"):
                if name in vocab:
                    pad_id = vocab[name]
                    break
        return cls(
            vocab=vocab,
            unk_token=model["unk_token"],
            prefix_tokens=prefix,
            suffix_tokens=suffix,
            prefix_type_ids=prefix_t,
            suffix_type_ids=suffix_t,
            sequence_type_id=seq_t,
            pad_id=pad_id,
            lowercase=norm.get("lowercase", False),
            strip_accents=norm.get("strip_accents"),
            clean_text=norm.get("clean_text", True),
            handle_chinese_chars=norm.get("handle_chinese_chars", True),
            continuing_subword_prefix=model.get("continuing_subword_prefix", "##"),
            max_input_chars_per_word=model.get("max_input_chars_per_word", 100),
        )

    # -- pipeline -------------------------------------------------------------
    def normalize(self, text: str) -> str:
        if self.clean_text:
            kept = []
            for ch in text:
                cp = ord(ch)
                if cp == 0 or cp == 0xFFFD or _is_control(ch):
                    continue
                kept.append(" " if _is_whitespace(ch) else ch)
            text = "".join(kept)
        if self.handle_chinese_chars:
            text = "".join(f" {ch} " if _is_cjk(ch) else ch for ch in text)
        if self.strip_accents:
            text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
        if self.lowercase:
            # character by character, like the tokenizers library (no final-sigma rule)
            text = "".join(ch.lower() for ch in text)
        return text

    @staticmethod
    def pre_tokenize(text: str) -> List[str]:
        words: List[str] = []
        cur: List[str] = []
        for ch in text:
            if _is_whitespace(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
            elif _is_punctuation(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(ch)
            else:
                cur.append(ch)
        if cur:
            words.append("".join(cur))
        return words

    def wordpiece(self, word: str) -> List[str]:
        if len(word) > self.max_chars:
            return [self.unk_token]
        pieces: List[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = self.prefix + sub
                if sub in self.vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                return [self.unk_token]
            pieces.append(found)
            start = end
        return pieces

    def tokenize(self, text: str) -> List[str]:
        out: List[str] = []
        for w in self.pre_tokenize(self.normalize(text)):
            out.extend(self.wordpiece(w))
        return out

    def encode(self, text: str, max_length: Optional[int] = None) -> Dict[str, list]:
        """Encode one text like sentence-transformers' Transformer.tokenize: str.strip()
        first, then truncate the word pieces so that, with the special tokens, the
        sequence has at most max_length tokens."""
        pieces = self.tokenize(text.strip())
        ids = [self.vocab[p] for p in pieces]
        n_special = len(self.prefix_tokens) + len(self.suffix_tokens)
        if max_length is not None and len(ids) + n_special > max_length:
            ids = ids[: max(0, max_length - n_special)]
        full = self.prefix_tokens + ids + self.suffix_tokens
        types = self.prefix_type_ids + [self.sequence_type_id] * len(ids) + self.suffix_type_ids
        return {
            "tokens": [self.id_to_token[i] for i in full],
            "input_ids": full,
            "token_type_ids": types,
            "attention_mask": [1] * len(full),
        }


# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------

_ST_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    """Read a safetensors file: u64 little-endian header size N, N bytes of JSON
    header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
    then the byte buffer the offsets point into (relative to its start)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header size {n} runs past the end of the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    body = len(data) - base
    out: Dict[str, torch.Tensor] = {}
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = _ST_DTYPES[info["dtype"]]
        shape = list(info["shape"])
        begin, end = info["data_offsets"]
        numel = 1
        for s in shape:
            numel *= s
        itemsize = torch.empty((), dtype=dt).element_size()
        if end - begin != numel * itemsize or not (0 <= begin <= end <= body):
            raise ValueError(f"{path}: tensor {name}: offsets {begin}..{end} do not fit shape {shape} {info['dtype']}")
        spans.append((begin, end))
        raw = bytearray(data[base + begin : base + end])
        if numel == 0:
            t = torch.empty(shape, dtype=dt)
        elif dt == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16).reshape(shape)
        else:
            t = torch.frombuffer(raw, dtype=dt).reshape(shape)
        out[name] = t.clone()
    spans.sort()
    pos = 0
    for b, e in spans:
        if b != pos:
            raise ValueError(f"{path}: tensor data is not contiguous at byte {pos}")
        pos = e
    if pos != body:
        raise ValueError(f"{path}: {body - pos} trailing bytes after the last tensor")
    return out


def load_module_weights(folder: str) -> Dict[str, torch.Tensor]:
    """model.safetensors first, then pytorch_model.bin, as sentence-transformers does."""
    st = os.path.join(folder, "model.safetensors")
    if os.path.exists(st):
        return read_safetensors(st)
    pt = os.path.join(folder, "pytorch_model.bin")
    if os.path.exists(pt):
        sd = torch.load(pt, map_location="cpu")
        return {k: v for k, v in sd.items()}
    raise FileNotFoundError(f"{folder}: neither model.safetensors nor pytorch_model.bin")


# ---------------------------------------------------------------------------
# Encoders (functional)
# ---------------------------------------------------------------------------


def _activation(name: str):
    if name == "gelu":
        return F.gelu  # erf form, as transformers' GELUActivation
    if name in ("gelu_new", "gelu_pytorch_tanh"):
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    if name in ("silu", "swish"):
        return F.silu
    raise ValueError(f"hidden activation {name!r} not supported")


def additive_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, L) 0/1 -> (B, 1, 1, L) with 0 on real keys and float32 min on padding."""
    m = attention_mask[:, None, None, :].to(torch.float32)
    return (1.0 - m) * torch.finfo(torch.float32).min


def _split_heads(x: torch.Tensor, n_heads: int) -> torch.Tensor:
    b, l, h = x.shape
    return x.view(b, l, n_heads, h // n_heads).transpose(1, 2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    b, n, l, d = x.shape
    return x.transpose(1, 2).reshape(b, l, n * d)


def self_attention(x, wq, bq, wk, bk, wv, bv, n_heads, mask_add, position_bias=None):
    """Scaled dot-product self-attention, scores = QK^T/sqrt(d) [+ bias] + mask."""
    q = _split_heads(F.linear(x, wq, bq), n_heads)
    k = _split_heads(F.linear(x, wk, bk), n_heads)
    v = _split_heads(F.linear(x, wv, bv), n_heads)
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if position_bias is not None:
        scores = scores + position_bias
    scores = scores + mask_add
    probs = F.softmax(scores, dim=-1)
    return _merge_heads(torch.matmul(probs, v))


def roberta_position_ids(input_ids: torch.Tensor, padding_idx: int) -> torch.Tensor:
    """RoBERTa/MPNet positions: padding_idx+1, padding_idx+2, ... over non-pad tokens,
    padding_idx on pad tokens (computed from input_ids != pad, as transformers does)."""
    not_pad = input_ids.ne(padding_idx).to(torch.int64)
    return torch.cumsum(not_pad, dim=1) * not_pad + padding_idx


def mpnet_relative_bucket(relative_position: torch.Tensor, num_buckets: int = 32, max_distance: int = 128):
    """Bidirectional T5-style bucketing used by MPNet: half the buckets per direction,
    exact below num_buckets//4, logarithmic up to max_distance. Computed with the same
    float32 ops (log of n/max_exact in float32, divided by a double) as transformers."""
    n = -relative_position
    half = num_buckets // 2
    bucket = (n < 0).to(torch.int64) * half
    n = n.abs()
    max_exact = half // 2
    is_small = n < max_exact
    large = max_exact + (
        torch.log(n.float() / max_exact) / math.log(max_distance / max_exact) * (half - max_exact)
    ).to(torch.int64)
    large = torch.minimum(large, torch.full_like(large, half - 1))
    return bucket + torch.where(is_small, n, large)


def mpnet_position_bias(rel_bias_weight: torch.Tensor, seq_len: int, num_buckets: int = 32) -> torch.Tensor:
    """(1, heads, L, L) bias from encoder.relative_attention_bias.weight (buckets x heads).
    Positions are plain 0..L-1 (transformers' MPNetEncoder passes no position ids)."""
    ctx = torch.arange(seq_len, dtype=torch.int64)[:, None]
    mem = torch.arange(seq_len, dtype=torch.int64)[None, :]
    buckets = mpnet_relative_bucket(mem - ctx, num_buckets=num_buckets)
    values = F.embedding(buckets, rel_bias_weight)  # (L, L, heads)
    return values.permute(2, 0, 1).unsqueeze(0)


class ReferenceEncoder:
    """The Transformer module of a sentence-transformers folder, in float32."""

    def __init__(self, folder: str):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            self.config = json.load(f)
        raw = load_module_weights(folder)
        self.source_dtypes = sorted({str(v.dtype).replace("torch.", "") for v in raw.values()})
        self.w = {k: v.to(torch.float32) if v.is_floating_point() else v for k, v in raw.items()}
        self.model_type = self.config["model_type"]
        if self.model_type not in ("bert", "distilbert", "roberta", "mpnet"):
            raise ValueError(f"{folder}: model_type {self.model_type!r} not supported")
        self.used_keys = set()

    def W(self, name: str) -> torch.Tensor:
        self.used_keys.add(name)
        return self.w[name]

    def position_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        if self.model_type in ("roberta", "mpnet"):
            return roberta_position_ids(input_ids, self.config["pad_token_id"])
        b, l = input_ids.shape
        return torch.arange(l, dtype=torch.int64)[None, :].expand(b, l)

    @torch.no_grad()
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids=None) -> torch.Tensor:
        """Last hidden state (B, L, H) for int64 ids and a 0/1 mask of shape (B, L)."""
        if self.model_type == "distilbert":
            return self._distilbert(input_ids, attention_mask)
        if self.model_type == "mpnet":
            return self._mpnet(input_ids, attention_mask)
        return self._bert_like(input_ids, attention_mask, token_type_ids)

    def embeddings_bert_like(self, input_ids, token_type_ids):
        c = self.config
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = F.embedding(input_ids, self.W("embeddings.word_embeddings.weight"))
        x = x + F.embedding(token_type_ids, self.W("embeddings.token_type_embeddings.weight"))
        x = x + F.embedding(self.position_ids(input_ids), self.W("embeddings.position_embeddings.weight"))
        return F.layer_norm(
            x,
            (c["hidden_size"],),
            self.W("embeddings.LayerNorm.weight"),
            self.W("embeddings.LayerNorm.bias"),
            c["layer_norm_eps"],
        )

    def _bert_like(self, input_ids, attention_mask, token_type_ids):
        c = self.config
        h = (c["hidden_size"],)
        eps = c["layer_norm_eps"]
        act = _activation(c["hidden_act"])
        x = self.embeddings_bert_like(input_ids, token_type_ids)
        mask = additive_mask(attention_mask)
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            ctx = self_attention(
                x,
                self.W(p + "attention.self.query.weight"),
                self.W(p + "attention.self.query.bias"),
                self.W(p + "attention.self.key.weight"),
                self.W(p + "attention.self.key.bias"),
                self.W(p + "attention.self.value.weight"),
                self.W(p + "attention.self.value.bias"),
                c["num_attention_heads"],
                mask,
            )
            a = F.linear(ctx, self.W(p + "attention.output.dense.weight"), self.W(p + "attention.output.dense.bias"))
            x = F.layer_norm(
                a + x, h, self.W(p + "attention.output.LayerNorm.weight"), self.W(p + "attention.output.LayerNorm.bias"), eps
            )
            m = act(F.linear(x, self.W(p + "intermediate.dense.weight"), self.W(p + "intermediate.dense.bias")))
            o = F.linear(m, self.W(p + "output.dense.weight"), self.W(p + "output.dense.bias"))
            x = F.layer_norm(o + x, h, self.W(p + "output.LayerNorm.weight"), self.W(p + "output.LayerNorm.bias"), eps)
        return x

    def _distilbert(self, input_ids, attention_mask):
        c = self.config
        dim = c["dim"]
        n_heads = c["n_heads"]
        eps = 1e-12  # hard-wired in transformers' DistilBERT
        act = _activation(c["activation"])
        if c.get("sinusoidal_pos_embds"):
            raise ValueError("sinusoidal DistilBERT position embeddings are not stored; not supported")
        x = F.embedding(input_ids, self.W("embeddings.word_embeddings.weight"))
        x = x + F.embedding(self.position_ids(input_ids), self.W("embeddings.position_embeddings.weight"))
        x = F.layer_norm(x, (dim,), self.W("embeddings.LayerNorm.weight"), self.W("embeddings.LayerNorm.bias"), eps)
        pad = (attention_mask == 0)[:, None, None, :]
        for i in range(c["n_layers"]):
            p = f"transformer.layer.{i}."
            # DistilBERT scales q before the product and fills masked scores with float32 min
            q = _split_heads(F.linear(x, self.W(p + "attention.q_lin.weight"), self.W(p + "attention.q_lin.bias")), n_heads)
            k = _split_heads(F.linear(x, self.W(p + "attention.k_lin.weight"), self.W(p + "attention.k_lin.bias")), n_heads)
            v = _split_heads(F.linear(x, self.W(p + "attention.v_lin.weight"), self.W(p + "attention.v_lin.bias")), n_heads)
            q = q / math.sqrt(dim // n_heads)
            scores = torch.matmul(q, k.transpose(-1, -2))
            scores = scores.masked_fill(pad, torch.finfo(torch.float32).min)
            ctx = _merge_heads(torch.matmul(F.softmax(scores, dim=-1), v))
            a = F.linear(ctx, self.W(p + "attention.out_lin.weight"), self.W(p + "attention.out_lin.bias"))
            x = F.layer_norm(a + x, (dim,), self.W(p + "sa_layer_norm.weight"), self.W(p + "sa_layer_norm.bias"), eps)
            m = act(F.linear(x, self.W(p + "ffn.lin1.weight"), self.W(p + "ffn.lin1.bias")))
            o = F.linear(m, self.W(p + "ffn.lin2.weight"), self.W(p + "ffn.lin2.bias"))
            x = F.layer_norm(o + x, (dim,), self.W(p + "output_layer_norm.weight"), self.W(p + "output_layer_norm.bias"), eps)
        return x

    def _mpnet(self, input_ids, attention_mask):
        c = self.config
        h = (c["hidden_size"],)
        eps = c["layer_norm_eps"]
        act = _activation(c["hidden_act"])
        x = F.embedding(input_ids, self.W("embeddings.word_embeddings.weight"))
        x = x + F.embedding(self.position_ids(input_ids), self.W("embeddings.position_embeddings.weight"))
        x = F.layer_norm(x, h, self.W("embeddings.LayerNorm.weight"), self.W("embeddings.LayerNorm.bias"), eps)
        mask = additive_mask(attention_mask)
        bias = mpnet_position_bias(self.W("encoder.relative_attention_bias.weight"), input_ids.shape[1])
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            ctx = self_attention(
                x,
                self.W(p + "attention.attn.q.weight"),
                self.W(p + "attention.attn.q.bias"),
                self.W(p + "attention.attn.k.weight"),
                self.W(p + "attention.attn.k.bias"),
                self.W(p + "attention.attn.v.weight"),
                self.W(p + "attention.attn.v.bias"),
                c["num_attention_heads"],
                mask,
                position_bias=bias,
            )
            a = F.linear(ctx, self.W(p + "attention.attn.o.weight"), self.W(p + "attention.attn.o.bias"))
            x = F.layer_norm(a + x, h, self.W(p + "attention.LayerNorm.weight"), self.W(p + "attention.LayerNorm.bias"), eps)
            m = act(F.linear(x, self.W(p + "intermediate.dense.weight"), self.W(p + "intermediate.dense.bias")))
            o = F.linear(m, self.W(p + "output.dense.weight"), self.W(p + "output.dense.bias"))
            x = F.layer_norm(o + x, h, self.W(p + "output.LayerNorm.weight"), self.W(p + "output.LayerNorm.bias"), eps)
        return x


# ---------------------------------------------------------------------------
# Pooling, Dense, Normalize
# ---------------------------------------------------------------------------

# The order in which sentence-transformers' Pooling concatenates enabled modes.
POOLING_ORDER = [
    ("cls", "pooling_mode_cls_token"),
    ("max", "pooling_mode_max_tokens"),
    ("mean", "pooling_mode_mean_tokens"),
    ("mean_sqrt_len_tokens", "pooling_mode_mean_sqrt_len_tokens"),
    ("weightedmean", "pooling_mode_weightedmean_tokens"),
    ("lasttoken", "pooling_mode_lasttoken"),
]
ALL_POOLING_MODES = [m for m, _ in POOLING_ORDER]


def pool(mode: str, tokens: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """One pooling mode over (B, L, H) token embeddings and a (B, L) 0/1 mask."""
    m = attention_mask.to(tokens.dtype).unsqueeze(-1)  # (B, L, 1)
    if mode == "cls":
        return tokens[:, 0]
    if mode == "max":
        return torch.where(m > 0, tokens, torch.full_like(tokens, -1e9)).max(dim=1).values
    if mode in ("mean", "mean_sqrt_len_tokens"):
        total = (tokens * m).sum(dim=1)
        count = m.sum(dim=1).clamp(min=1e-9)
        return total / count if mode == "mean" else total / torch.sqrt(count)
    if mode == "weightedmean":
        pos = torch.arange(1, tokens.shape[1] + 1, dtype=tokens.dtype)[None, :, None]
        w = m * pos
        return (tokens * w).sum(dim=1) / w.sum(dim=1).clamp(min=1e-9)
    if mode == "lasttoken":
        out = torch.zeros(tokens.shape[0], tokens.shape[2], dtype=tokens.dtype)
        for b in range(tokens.shape[0]):
            nz = torch.nonzero(attention_mask[b]).flatten()
            if len(nz):
                out[b] = tokens[b, int(nz[-1])]
        return out
    raise ValueError(f"pooling mode {mode!r} not supported")


_ACTIVATIONS = {
    "torch.nn.modules.activation.Tanh": torch.tanh,
    "torch.nn.modules.linear.Identity": lambda x: x,
    "torch.nn.modules.activation.ReLU": F.relu,
    "torch.nn.modules.activation.Sigmoid": torch.sigmoid,
    "torch.nn.modules.activation.GELU": F.gelu,
}


class ReferencePipeline:
    """A whole sentence-transformers folder: Transformer, Pooling, Dense*, Normalize."""

    def __init__(self, folder: str):
        self.folder = folder
        with open(os.path.join(folder, "modules.json"), encoding="utf-8") as f:
            self.modules = json.load(f)
        with open(os.path.join(folder, "sentence_bert_config.json"), encoding="utf-8") as f:
            self.st_config = json.load(f)
        self.max_seq_length = self.st_config["max_seq_length"]
        self.encoder: Optional[ReferenceEncoder] = None
        self.stages = []
        for mod in sorted(self.modules, key=lambda m: m["idx"]):
            path = os.path.join(folder, mod["path"])
            kind = mod["type"].rsplit(".", 1)[-1]
            if kind == "Transformer":
                self.encoder = ReferenceEncoder(path)
            elif kind == "Pooling":
                with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
                    cfg = json.load(f)
                modes = [name for name, key in POOLING_ORDER if cfg.get(key)]
                if not modes:
                    raise ValueError(f"{path}: no pooling mode enabled")
                self.pooling_modes = modes
                self.stages.append(("pooling", modes))
            elif kind == "Dense":
                with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
                    cfg = json.load(f)
                w = load_module_weights(path)
                act = _ACTIVATIONS[cfg["activation_function"]]
                weight = w["linear.weight"].to(torch.float32)
                bias = w["linear.bias"].to(torch.float32) if cfg.get("bias", True) else None
                if tuple(weight.shape) != (cfg["out_features"], cfg["in_features"]):
                    raise ValueError(f"{path}: linear.weight shape {tuple(weight.shape)} does not match config")
                self.stages.append(("dense", (weight, bias, act)))
            elif kind == "Normalize":
                self.stages.append(("normalize", None))
            else:
                raise ValueError(f"{folder}: module type {mod['type']!r} not supported")
        if self.encoder is None:
            raise ValueError(f"{folder}: no Transformer module")
        self.tokenizer = WordPieceTokenizer.from_tokenizer_json(os.path.join(folder, "tokenizer.json"))

    @torch.no_grad()
    def run(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids=None) -> Dict[str, torch.Tensor]:
        """Returns token_embeddings (B, L, H), every pooling mode of them, the
        concatenated pooling output and the final sentence_embedding."""
        tokens = self.encoder.forward(input_ids, attention_mask, token_type_ids)
        out = {"token_embeddings": tokens}
        out["pooled"] = {mode: pool(mode, tokens, attention_mask) for mode in ALL_POOLING_MODES}
        x = None
        for kind, arg in self.stages:
            if kind == "pooling":
                x = torch.cat([out["pooled"][m] for m in arg], dim=1)
                out["pooling_output"] = x
            elif kind == "dense":
                weight, bias, act = arg
                x = act(F.linear(x, weight, bias))
            elif kind == "normalize":
                x = F.normalize(x, p=2.0, dim=1)
        out["sentence_embedding"] = x
        return out

    def encode_texts(self, texts: Sequence[str]) -> List[Dict[str, list]]:
        return [self.tokenizer.encode(t, self.max_seq_length) for t in texts]

    def batch(self, encodings: Sequence[Dict[str, list]]):
        """Right-pad encodings into (ids, mask, type_ids) tensors."""
        length = max(len(e["input_ids"]) for e in encodings)
        pad = self.tokenizer.pad_id
        ids = [e["input_ids"] + [pad] * (length - len(e["input_ids"])) for e in encodings]
        mask = [e["attention_mask"] + [0] * (length - len(e["input_ids"])) for e in encodings]
        types = [e["token_type_ids"] + [0] * (length - len(e["input_ids"])) for e in encodings]
        return (
            torch.tensor(ids, dtype=torch.int64),
            torch.tensor(mask, dtype=torch.int64),
            torch.tensor(types, dtype=torch.int64),
        )


def main(argv: List[str]) -> int:
    if len(argv) < 2:
        print("usage: reference_encoder.py MODEL_DIR TEXT...", file=sys.stderr)
        return 2
    pipe = ReferencePipeline(argv[0])
    results = []
    for text in argv[1:]:
        enc = pipe.tokenizer.encode(text, pipe.max_seq_length)
        ids = torch.tensor([enc["input_ids"]])
        mask = torch.tensor([enc["attention_mask"]])
        types = torch.tensor([enc["token_type_ids"]])
        out = pipe.run(ids, mask, types)
        results.append(
            {
                "text": text,
                "tokens": enc["tokens"],
                "input_ids": enc["input_ids"],
                "sentence_embedding": out["sentence_embedding"][0].tolist(),
            }
        )
    json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
