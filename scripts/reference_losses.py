#!/usr/bin/python3
"""Independent reference for the Siamese losses in siamese/losses.go.

Each loss below follows the formula that sentence-transformers (ST) implements in
sentence_transformers/sentence_transformer/losses/*.py, written here with plain
torch / torch.nn.functional ops in ST's own order of operations: boolean
indexing, in-place masking, torch.max/min with indices, repeat-based tiling.
The Go code composes the same mathematics from a smaller op set (masks instead of
boolean indexing, broadcasting instead of repeat), so agreement between the two
is a real check. sentence-transformers itself is not needed (nor installed).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 scripts/reference_losses.py

It writes two fixtures to siamese/testdata/losses/:

  unit.json        per loss, seeded random float64 embeddings (batch 6-8, dim 5),
                   labels, options, the loss value and d loss / d embedding of each
                   column;
  bert_step.json   one training step through the tiny BERT in
                   model/testdata/models/bert (no dropout, float64 weights): per
                   loss, the token ids of each column, the sentence embeddings,
                   the loss, d loss / d embeddings and the gradients of a few named
                   parameters. The model's forward pass is scripts/reference_encoder.py
                   with its weights turned into leaves that require grad.

Floats are written with Python's repr (shortest round trip of the float64).
"""

from __future__ import annotations

import json
import math
import os
import sys

sys.dont_write_bytecode = True

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import reference_encoder as refenc  # noqa: E402

OUT_DIR = os.path.join(ROOT, "siamese", "testdata", "losses")
BERT_DIR = os.path.join(ROOT, "model", "testdata", "models", "bert")
EXPECTED = os.path.join(ROOT, "model", "testdata", "expected.json")

# Defaults of the sentence-transformers constructors.
DEFAULT_MARGIN = {
    "contrastive": 0.5,
    "online-contrastive": 0.5,
    "triplet": 5.0,
    "batch-hard": 5.0,
    "batch-semi-hard": 5.0,
    "batch-all": 5.0,
}
DEFAULT_SCALE = {"mnrl": 20.0, "cosent": 20.0}


# ---------------------------------------------------------------------------
# Similarity helpers (sentence_transformers.util)
# ---------------------------------------------------------------------------


def unit_rows(x):
    """util.normalize_embeddings: F.normalize with p=2 over dim 1 (eps 1e-12)."""
    return F.normalize(x, p=2, dim=1)


def cos_matrix(a, b):
    """util.cos_sim: normalised rows, then a matrix product -> [len(a), len(b)]."""
    return unit_rows(a) @ unit_rows(b).t()


def cos_rowwise(a, b):
    """util.pairwise_cos_sim: normalised rows, then the row-wise dot product."""
    return (unit_rows(a) * unit_rows(b)).sum(dim=-1)


def euclid_rowwise(a, b):
    """Minus util.pairwise_euclidean_sim: sqrt(sum((a-b)^2)) per row, no epsilon."""
    return torch.sqrt(torch.sum((a - b) ** 2, dim=-1))


def batch_euclid(e):
    """BatchHardTripletLossDistanceFunction.euclidean_distance (squared=False)."""
    g = torch.matmul(e, e.t())
    sq = torch.diag(g)
    d = sq.unsqueeze(0) - 2.0 * g + sq.unsqueeze(1)
    d[d < 0] = 0  # in place, as ST does: zero gradient where it was negative
    zero = d.eq(0).to(e.dtype)
    d = d + zero * 1e-16
    return (1.0 - zero) * torch.sqrt(d)


# ---------------------------------------------------------------------------
# The losses
# ---------------------------------------------------------------------------


def loss_cosine(cols, labels, opt):
    cos = torch.cosine_similarity(cols[0], cols[1])  # dim 1, eps 1e-8
    return F.mse_loss(cos, labels.view(-1))


def loss_contrastive(cols, labels, opt):
    m = opt["margin"]
    d = 1 - F.cosine_similarity(cols[0], cols[1])
    per_pair = 0.5 * (labels * d.pow(2) + (1 - labels) * F.relu(m - d).pow(2))
    return per_pair.mean()


def loss_online_contrastive(cols, labels, opt):
    m = opt["margin"]
    d = 1 - F.cosine_similarity(cols[0], cols[1])
    neg = d[labels == 0]
    pos = d[labels == 1]
    neg_cut = pos.max() if len(pos) > 1 else neg.mean()
    pos_cut = neg.min() if len(neg) > 1 else pos.mean()
    hard_neg = neg[neg < neg_cut]
    hard_pos = pos[pos > pos_cut]
    return hard_pos.pow(2).sum() + F.relu(m - hard_neg).pow(2).sum()


def loss_mnrl(cols, labels, opt):
    """Default MNRL: directions=("query_to_doc",), joint partition, no hardness."""
    scale = opt["scale"]
    queries = cols[0]
    docs = torch.cat(cols[1:], dim=0)
    scores = cos_matrix(queries, docs) * scale
    rows = torch.arange(queries.size(0))
    positive = scores[rows, rows]
    return -(positive - torch.logsumexp(scores, dim=1)).mean()


def loss_triplet(cols, labels, opt):
    m = opt["margin"]
    dp = euclid_rowwise(cols[0], cols[1])
    dn = euclid_rowwise(cols[0], cols[2])
    return F.relu(dp - dn + m).mean()


def _same_label(labels):
    return labels.unsqueeze(0) == labels.unsqueeze(1)


def loss_batch_hard(cols, labels, opt):
    m = opt["margin"]
    e = cols[0]
    d = batch_euclid(e)
    eye = torch.eye(labels.size(0)).bool()
    ap = (_same_label(labels) & ~eye).to(e.dtype)
    hardest_pos, _ = (ap * d).max(1, keepdim=True)
    an = (~_same_label(labels)).to(e.dtype)
    row_max, _ = d.max(1, keepdim=True)
    hardest_neg, _ = (d + row_max * (1.0 - an)).min(1, keepdim=True)
    tl = hardest_pos - hardest_neg + m
    tl[tl < 0] = 0
    return tl.mean()


def _triplet_mask(labels):
    n = labels.size(0)
    ne = ~torch.eye(n).bool()
    distinct = ne.unsqueeze(2) & ne.unsqueeze(1) & ne.unsqueeze(0)
    same = _same_label(labels)
    return same.unsqueeze(2) & ~same.unsqueeze(1) & distinct


def loss_batch_all(cols, labels, opt):
    m = opt["margin"]
    e = cols[0]
    d = batch_euclid(e)
    tl = d.unsqueeze(2) - d.unsqueeze(1) + m
    tl = _triplet_mask(labels).to(e.dtype) * tl
    tl[tl < 0] = 0
    n_pos = tl[tl > 1e-16].size(0)
    return tl.sum() / (n_pos + 1e-16)


def _min_where(x, mask):
    hi, _ = x.max(1, keepdim=True)
    lo, _ = ((x - hi) * mask).min(1, keepdim=True)
    return lo + hi


def _max_where(x, mask):
    lo, _ = x.min(1, keepdim=True)
    hi, _ = ((x - lo) * mask).max(1, keepdim=True)
    return hi + lo


def loss_batch_semi_hard(cols, labels, opt):
    """The TensorFlow-addons semi-hard triplet loss as ST ports it (repeat/tile form)."""
    m = opt["margin"]
    e = cols[0]
    lab = labels.unsqueeze(1)
    d = batch_euclid(e)
    same = lab == lab.t()
    other = ~same
    n = lab.numel()
    tiled = d.repeat([n, 1])
    farther = other.repeat([n, 1]) & (tiled > d.t().reshape(-1, 1))
    has_farther = (farther.sum(1, keepdim=True) > 0).reshape(n, n).t()
    outside = _min_where(tiled, farther.to(e.dtype)).reshape(n, n).t()
    inside = _max_where(d, other.to(e.dtype)).repeat([1, n])
    semi = torch.where(has_farther, outside, inside)
    loss_mat = d - semi + m
    pos_mask = same.to(e.dtype) - torch.eye(n, dtype=e.dtype)
    n_pos = pos_mask.sum()
    zero = torch.tensor([0.0], dtype=e.dtype)
    return torch.max(loss_mat * pos_mask, zero).sum() / n_pos.clamp(min=1e-16)


def loss_cosent(cols, labels, opt):
    scale = opt["scale"]
    s = cos_rowwise(cols[0], cols[1]) * scale
    diff = s[:, None] - s[None, :]
    lower = (labels[:, None] < labels[None, :]).to(s.dtype)
    diff = diff - (1 - lower) * 1e12
    flat = torch.cat((torch.zeros(1, dtype=s.dtype), diff.view(-1)), dim=0)
    return torch.logsumexp(flat, dim=0)


LOSSES = {
    "cosine": (loss_cosine, "score"),
    "contrastive": (loss_contrastive, "score"),
    "online-contrastive": (loss_online_contrastive, "score"),
    "mnrl": (loss_mnrl, "none"),
    "triplet": (loss_triplet, "none"),
    "batch-hard": (loss_batch_hard, "class"),
    "batch-semi-hard": (loss_batch_semi_hard, "class"),
    "batch-all": (loss_batch_all, "class"),
    "cosent": (loss_cosent, "score"),
}


def options(name, margin=0.0, scale=0.0):
    """Options as LossOptions spells them (0 = default) and the values the loss uses."""
    eff = {"margin": margin or DEFAULT_MARGIN.get(name, 0.0), "scale": scale or DEFAULT_SCALE.get(name, 0.0)}
    return {"margin": margin, "scale": scale}, eff


def label_tensor(kind, values, dtype):
    if kind == "class":
        return torch.tensor(values, dtype=torch.int64)
    if kind == "score":
        # The trainer passes float32 scores; cast through float32 so both sides see the same numbers.
        return torch.tensor(values, dtype=torch.float32).to(dtype)
    return None


# ---------------------------------------------------------------------------
# Fixture 1: losses on random embeddings
# ---------------------------------------------------------------------------

UNIT_CASES = [
    # (case name, loss, columns, batch, labels, margin, scale)
    ("cosine", "cosine", 2, 7, [0.9, 0.1, 0.5, 0.0, 1.0, 0.25, 0.75], 0, 0),
    ("contrastive", "contrastive", 2, 8, [1, 0, 1, 1, 0, 0, 1, 0], 0, 0),
    ("contrastive margin 1.5", "contrastive", 2, 8, [1, 0, 1, 1, 0, 0, 1, 0], 1.5, 0),
    ("online-contrastive", "online-contrastive", 2, 8, [1, 0, 0, 1, 1, 0, 1, 0], 0, 0),
    ("online-contrastive margin 1.2", "online-contrastive", 2, 8, [1, 0, 1, 1, 0, 0, 1, 0], 1.2, 0),
    ("online-contrastive one positive", "online-contrastive", 2, 7, [0, 0, 1, 0, 0, 0, 0], 1.2, 0),
    ("online-contrastive one negative", "online-contrastive", 2, 7, [1, 1, 1, 0, 1, 1, 1], 1.2, 0),
    ("online-contrastive positives only", "online-contrastive", 2, 6, [1, 1, 1, 1, 1, 1], 0, 0),
    ("mnrl pairs", "mnrl", 2, 6, None, 0, 0),
    ("mnrl triplets", "mnrl", 3, 6, None, 0, 0),
    ("mnrl triplets scale 5", "mnrl", 3, 6, None, 0, 5),
    ("triplet", "triplet", 3, 7, None, 0, 0),
    ("triplet margin 1", "triplet", 3, 7, None, 1, 0),
    ("batch-hard", "batch-hard", 1, 8, [0, 1, 0, 2, 1, 0, 2, 1], 0, 0),
    ("batch-hard margin 1 singleton", "batch-hard", 1, 8, [0, 0, 1, 1, 1, 2, 3, 3], 1, 0),
    ("batch-semi-hard", "batch-semi-hard", 1, 8, [0, 1, 0, 2, 1, 0, 2, 1], 0, 0),
    ("batch-semi-hard margin 1 singleton", "batch-semi-hard", 1, 8, [0, 0, 1, 1, 1, 2, 3, 3], 1, 0),
    ("batch-semi-hard margin 0.5", "batch-semi-hard", 1, 8, [0, 1, 0, 2, 1, 0, 2, 1], 0.5, 0),
    ("batch-all", "batch-all", 1, 8, [0, 1, 0, 2, 1, 0, 2, 1], 0, 0),
    ("batch-all margin 1 singleton", "batch-all", 1, 8, [0, 0, 1, 1, 1, 2, 3, 3], 1, 0),
    ("cosent", "cosent", 2, 7, [0.9, 0.1, 0.5, 0.5, 1.0, 0.0, 0.75], 0, 0),
    ("cosent scale 7", "cosent", 2, 7, [0.9, 0.1, 0.5, 0.5, 1.0, 0.0, 0.75], 0, 7),
]


def unit_fixture(seed=20240611, dim=5):
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for case, name, ncols, batch, labels, margin, scale in UNIT_CASES:
        fn, kind = LOSSES[name]
        given, eff = options(name, margin, scale)
        cols = [torch.randn(batch, dim, generator=gen, dtype=torch.float64).requires_grad_(True) for _ in range(ncols)]
        lab = label_tensor(kind, labels, torch.float64)
        loss = fn(cols, lab, eff)
        loss.backward()
        grads = [c.grad.tolist() for c in cols]
        flat = [abs(v) for g in grads for r in g for v in r]
        if not math.isfinite(loss.item()) or not all(math.isfinite(v) for v in flat):
            raise SystemExit(f"case {case!r}: non-finite loss or gradient")
        if loss.item() <= 0 or max(flat) == 0:
            raise SystemExit(f"case {case!r}: zero loss or gradient checks nothing; change its labels")
        cases.append(
            {
                "case": case,
                "loss": name,
                "options": given,
                "label_kind": kind,
                "columns": [c.detach().tolist() for c in cols],
                "labels": labels,
                "value": loss.item(),
                "grads": grads,
            }
        )
    return {
        "format": "fewshot-loss-fixtures/1",
        "generator": "scripts/reference_losses.py",
        "torch_version": torch.__version__,
        "dtype": "float64",
        "notes": "columns[c][row] is an embedding; grads[c] is d value / d columns[c]. Options of 0 mean the "
        "sentence-transformers default (margins: contrastive 0.5, triplet family 5; scales 20).",
        "cases": cases,
    }


# ---------------------------------------------------------------------------
# Fixture 2: one training step through the tiny BERT
# ---------------------------------------------------------------------------

# name -> how many leading rows of its gradient to record (None: all). The query weight is the first
# block of the Go model's fused QKV weight and the value bias the last block of the fused bias.
TRACKED_PARAMS = {
    "embeddings.LayerNorm.weight": None,
    "encoder.layer.0.attention.self.query.weight": 4,
    "encoder.layer.0.attention.self.value.bias": None,
    "encoder.layer.1.output.dense.bias": None,
}
WORD_ROWS = 8  # used token ids (spread over the sorted ids) whose word-embedding gradient rows are recorded

# Text indices into expected.json's bert texts. Texts 1 and 3 ("" and whitespace) tokenize alike, so
# they never share a row of a Euclidean distance (ST's row-wise distance has no epsilon).
BERT_CASES = [
    ("cosine", [[0, 2, 4, 6], [1, 3, 5, 7]], [0.8, 0.1, 0.5, 0.3]),
    ("contrastive", [[0, 2, 4, 6], [1, 3, 5, 7]], [1, 0, 0, 1]),
    ("online-contrastive", [[0, 2, 4, 6, 7], [1, 3, 5, 7, 2]], [1, 0, 0, 1, 0]),
    ("mnrl", [[0, 2, 4], [6, 7, 5], [1, 0, 3]], None),
    ("triplet", [[0, 2, 4], [6, 7, 5], [1, 0, 3]], None),
    ("batch-hard", [[0, 1, 2, 4, 5, 6, 7]], [0, 1, 0, 1, 2, 2, 1]),
    ("batch-semi-hard", [[0, 1, 2, 4, 5, 6, 7]], [0, 1, 0, 1, 2, 2, 1]),
    ("batch-all", [[0, 1, 2, 4, 5, 6, 7]], [0, 1, 0, 1, 2, 2, 1]),
    ("cosent", [[0, 2, 4, 6], [1, 3, 5, 7]], [0.8, 0.1, 0.5, 0.3]),
]


def bert_fixture():
    with open(EXPECTED, encoding="utf-8") as f:
        texts = json.load(f)["models"]["bert"]["texts"]
    pipe = refenc.ReferencePipeline(BERT_DIR)
    kinds = [k for k, _ in pipe.stages]
    if kinds != ["pooling", "normalize"] or pipe.pooling_modes != ["mean"]:
        raise SystemExit(f"{BERT_DIR}: expected mean pooling + Normalize, got {kinds} {pipe.pooling_modes}")
    enc = pipe.encoder
    pad = pipe.tokenizer.pad_id
    base = {k: v.to(torch.float64) for k, v in enc.w.items() if v.is_floating_point()}

    def embed(rows):
        encs = [{k: texts[i][k] for k in ("input_ids", "attention_mask", "token_type_ids")} for i in rows]
        ids, mask, types = pipe.batch(encs)
        tokens = enc._bert_like(ids, mask, types)  # the undecorated forward: autograd records
        return F.normalize(refenc.pool("mean", tokens, mask), p=2.0, dim=1), [e["input_ids"] for e in encs]

    cases = []
    for name, columns, labels in BERT_CASES:
        fn, kind = LOSSES[name]
        _, eff = options(name)
        enc.w = {k: v.clone().requires_grad_(True) for k, v in base.items()}
        with torch.enable_grad():
            outs = [embed(rows) for rows in columns]
            embs = [o[0] for o in outs]
            for e in embs:
                e.retain_grad()
            loss = fn(embs, label_tensor(kind, labels, torch.float64), eff)
            loss.backward()
        used = sorted({i for o in outs for seq in o[1] for i in seq})
        if 4 in used:
            raise SystemExit("id 4 unexpectedly used")
        rows = used[:: max(1, len(used) // WORD_ROWS)][:WORD_ROWS] + [4]  # [MASK] (id 4) appears in no input: its gradient row is zero
        word = "embeddings.word_embeddings.weight"
        params = {word: {"rows": rows, "grad": enc.w[word].grad[rows].tolist()}}
        for p, n in TRACKED_PARAMS.items():
            g = enc.w[p].grad
            if n is None:
                params[p] = {"grad": g.tolist()}
            else:
                params[p] = {"rows": list(range(n)), "grad": g[:n].tolist()}
        cases.append(
            {
                "loss": name,
                "label_kind": kind,
                "labels": labels,
                "input_ids": [o[1] for o in outs],
                "embeddings": [e.detach().tolist() for e in embs],
                "value": loss.item(),
                "embedding_grads": [e.grad.tolist() for e in embs],
                "params": params,
            }
        )
    return {
        "format": "fewshot-loss-bert-step/1",
        "generator": "scripts/reference_losses.py",
        "torch_version": torch.__version__,
        "model": "model/testdata/models/bert",
        "dtype": "float64 (weights upcast from the F32 file)",
        "pad_token_id": pad,
        "notes": "Each column is padded on the right with pad_token_id (mask 0, token types 0) and run without "
        "dropout through Transformer -> mean Pooling -> Normalize. Losses use the sentence-transformers "
        "defaults. params[name].grad is d value / d parameter; for the word embeddings only the listed rows.",
        "cases": cases,
    }


def write_fixture(f, fixture):
    """JSON with one line per top-level key and one line per case (compact, readable diffs)."""
    f.write("{\n")
    items = list(fixture.items())
    for i, (k, v) in enumerate(items):
        f.write(f" {json.dumps(k)}: ")
        if k == "cases":
            f.write("[\n")
            f.write(",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in v))
            f.write("\n ]")
        else:
            f.write(json.dumps(v))
        f.write(",\n" if i + 1 < len(items) else "\n")
    f.write("}\n")


def main() -> int:
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for fname, fixture in (("unit.json", unit_fixture()), ("bert_step.json", bert_fixture())):
        path = os.path.join(OUT_DIR, fname)
        with open(path, "w", encoding="utf-8") as f:
            write_fixture(f, fixture)
        print(f"wrote {os.path.relpath(path, ROOT)} ({len(fixture['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
