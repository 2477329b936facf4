#!/usr/bin/env python3
"""Writes the two small hand-made tokenizer.json files used by the tests.

bpe-bytelevel.json: a RoBERTa-style byte-level BPE (no normalizer, ByteLevel
pre-tokenizer, RobertaProcessing). unigram-metaspace.json: an XLM-R-style
Unigram (Precompiled + Replace normalizer, Metaspace, template <s> A </s>);
its precompiled_charsmap is the placeholder "@NMT_NFKC@", replaced by the
tests (and by oracle.js) with sugarme's spm.NmtNfkc() charsmap.
Run from this folder: python3 make_fixtures.py
"""
import json

def byte_alphabet():
    keep = list(range(ord('!'), ord('~') + 1)) + list(range(0xa1, 0xad)) + list(range(0xae, 0x100))
    out, n = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + n)
            n += 1
    return out

def added(content, id_, lstrip=False):
    return {"id": id_, "content": content, "single_word": False, "lstrip": lstrip,
            "rstrip": False, "normalized": False, "special": True}

def bpe():
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for b, c in sorted(byte_alphabet().items()):
        vocab[c] = len(vocab)
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "a a", "Ġ Ġ", "ĠĠ Ġ", "Ċ Ċ",
              "o n", "Ġ w", "Ġw o", "r l", "Ġwo rl", "Ġworl d", "l l", "e ll", "h ell",
              "hell o", "H ell", "Hell o", "' s", "1 2", "12 3", "Ã ©", "c a", "ca f", "caf Ã©",
              "Ġ caf", "Ġcaf Ã©", "Ġ in", "aa a", "Ġ H", "ĠH ell", "ĠHell o", "Ġ 12"]
    for m in merges:
        a, b = m.split(" ")
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    mask = len(vocab)
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added("<s>", 0), added("<pad>", 1), added("</s>", 2), added("<unk>", 3),
                         added("<mask>", mask, lstrip=True)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                  "merges": merges},
    }

def unigram():
    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0),
              ("▁", -2.0), ("▁hello", -5.0), ("▁world", -5.5), ("▁the", -3.0), ("▁a", -3.5),
              ("he", -6.0), ("llo", -6.5), ("h", -8.0), ("e", -7.0), ("l", -7.2), ("o", -7.1),
              ("w", -8.1), ("r", -7.9), ("d", -7.7), ("t", -7.5), ("a", -7.3), ("▁he", -6.2),
              ("ll", -6.8), ("lo", -6.9), ("▁w", -6.6), ("or", -6.7), ("ld", -6.4), ("fi", -5.9),
              ("▁fi", -6.1), ("x", -9.0), ("▁x", -8.5), (",", -5.0), (".", -5.0), ("!", -5.0),
              ("é", -8.0), ("▁café", -9.0), ("c", -8.3), ("f", -8.4), ("1", -6.0), ("2", -6.0),
              ("12", -6.5), ("▁1", -7.0), ("G", -8.8), ("▁G", -8.9), ("ab", -4.0), ("b", -5.0),
              ("▁ab", -4.5), ("▁b", -5.5)]
    mask = len(pieces)
    pieces.append(("<mask>", 0.0))
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added("<s>", 0), added("<pad>", 1), added("</s>", 2), added("<unk>", 3),
                         added("<mask>", mask, lstrip=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": "@NMT_NFKC@"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                              "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": [list(p) for p in pieces], "byte_fallback": False},
    }

for name, obj in [("../bpe-bytelevel.json", bpe()), ("../unigram-metaspace.json", unigram())]:
    with open(name, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
