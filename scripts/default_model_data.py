#!/usr/bin/python3
"""Builds the training pairs of the embedded default model (see scripts/train_default_model.sh).

Writes JSONL rows {"sentence1", "sentence2", "score": 1} of positive pairs for
MultipleNegativesRankingLoss, drawn from:

  - WordNet 3.0 (Debian's wordnet-base, /usr/share/wordnet): a word and its definition, an example
    sentence and its definition, two words of one synset, a word and its hypernym;
  - CLINC150 (train and val splits; CC BY 3.0) and SNIPS (train; CC0): two utterances of one intent (four
    partners per utterance), and an utterance with its intent's name in words;
  - the STS benchmark's train split: sentence pairs scored 3.8 or more (of 5).

With --crops, also pairs of two random spans of one sentence (write_crops), from a generator of their own
so that the main pairs do not depend on it.

Banking77, TREC and the STS benchmark's dev split are never read: they are the held-out evaluation.
Every choice goes through one seeded random generator over sorted input, so one seed gives one file.

Usage: /usr/bin/python3 scripts/default_model_data.py OUT.jsonl [--seed 0] [--pairs 400000] [--crops FILE]
       [--wordnet /usr/share/wordnet] [--data ../shared/data]
"""
import argparse
import json
import os
import random
import re
import sys

POS_FILES = ["noun", "verb", "adj", "adv"]
PARTNERS = 4  # pairs per intent utterance
STS_MIN = 3.8  # STS-B train pairs scored at least this (of 5) are positives


def read_wordnet(folder):
    """Yields (lemmas, definition, examples, hypernym offsets, key) per synset."""
    for pos in POS_FILES:
        path = os.path.join(folder, "data." + pos)
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):
                    continue  # licence header
                head, _, gloss = line.partition(" | ")
                fields = head.split()
                offset, ss_type = fields[0], fields[2]
                n = int(fields[3], 16)
                lemmas = []
                for i in range(n):
                    w = fields[4 + 2 * i]
                    w = re.sub(r"\([a-z]+\)$", "", w)  # adjective markers such as (a), (p)
                    lemmas.append(w.replace("_", " "))
                p = 4 + 2 * n
                npt = int(fields[p])
                hyper = []
                for i in range(npt):
                    sym, off, ps = fields[p + 1 + 4 * i], fields[p + 2 + 4 * i], fields[p + 3 + 4 * i]
                    if sym in ("@", "@i"):
                        hyper.append((ps if ps != "s" else "a", off))
                parts = [s.strip() for s in gloss.strip().split(";")]
                definition = parts[0].strip()
                examples = [s.strip().strip('"').strip() for s in parts[1:] if s.strip().startswith('"')]
                examples = [e for e in examples if len(e.split()) >= 3]
                key = ("a" if ss_type == "s" else ss_type, offset)
                yield key, lemmas, definition, examples, hyper


def split_camel(name):
    """AddToPlaylist -> add to playlist; transfer_money -> transfer money."""
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ")
    return name.lower()


def write_crops(path, n, synsets, groups, data, rng):
    """Two independent random spans (40-80% of the words) of one sentence, for sentences of five words or
    more from WordNet definitions and examples, the intent utterances and STS-B train. With in-batch
    negatives this teaches what a bag-of-words model knows (rare shared words identify a text, common ones
    do not) and that a sentence's parts belong together (independent cropping, as in Contriever)."""
    sents = set()
    for _, _, definition, examples, _ in synsets:
        sents.add(definition)
        sents.update(examples)
    for texts in groups.values():
        sents.update(texts)
    with open(os.path.join(data, "similarity", "stsbenchmark", "sts-train.csv"), encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 7:
                sents.update(p[5:7])
    sents = sorted(s for s in sents if len(s.split()) >= 5)
    rng.shuffle(sents)

    def crop(words):
        k = max(2, int(round(len(words) * rng.uniform(0.4, 0.8))))
        i = rng.randrange(len(words) - k + 1)
        return " ".join(words[i:i + k])

    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for s in sents[:n]:
            w = s.split()
            f.write(json.dumps({"sentence1": crop(w), "sentence2": crop(w), "score": 1}, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    print(f"{min(n, len(sents))} crop pairs of {len(sents)} sentences -> {path}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pairs", type=int, default=400000, help="pairs written in all")
    ap.add_argument("--crops", help="also write pairs of two random spans of one sentence to this JSONL file")
    ap.add_argument("--crop-pairs", type=int, default=160000, help="pairs written to --crops")
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.environ.get("FEWSHOT_SHARED_DATA", os.path.join(here, "..", "..", "shared", "data")))
    a = ap.parse_args()
    rng = random.Random(a.seed)

    # WordNet
    synsets = list(read_wordnet(a.wordnet))
    first = {key: lemmas[0] for key, lemmas, _, _, _ in synsets}
    wn = {"wordnet-definition": [], "wordnet-example": [], "wordnet-synonym": [], "wordnet-hypernym": []}
    for key, lemmas, definition, examples, hyper in synsets:
        if len(definition.split()) >= 2:
            for w in lemmas[:3]:
                wn["wordnet-definition"].append((w, definition))
            for e in examples[:2]:
                wn["wordnet-example"].append((e, definition))
        for i in range(min(len(lemmas), 4)):
            for j in range(i + 1, min(len(lemmas), 4)):
                if lemmas[i].lower() != lemmas[j].lower():
                    wn["wordnet-synonym"].append((lemmas[i], lemmas[j]))
        for h in hyper[:1]:
            if h in first:
                wn["wordnet-hypernym"].append((lemmas[0], first[h]))

    # intents
    intent = {"intent-same": [], "intent-name": []}
    groups = {}
    with open(os.path.join(a.data, "classification", "clinc150", "data_full.json"), encoding="utf-8") as f:
        clinc = json.load(f)
    for split in ("train", "val"):
        for text, label in clinc[split]:
            groups.setdefault(("clinc", label), []).append(text)
    sn = os.path.join(a.data, "classification", "snips", "train")
    with open(os.path.join(sn, "seq.in"), encoding="utf-8") as ft, open(os.path.join(sn, "label"), encoding="utf-8") as fl:
        for text, label in zip(ft, fl):
            groups.setdefault(("snips", label.strip()), []).append(text.strip())
    for (src, label), texts in sorted(groups.items()):
        texts = sorted(set(t for t in texts if t))
        for i, t in enumerate(texts):
            # up to PARTNERS other utterances of the intent, without repeats
            others = rng.sample(range(len(texts) - 1), min(PARTNERS, len(texts) - 1))
            for j in others:
                intent["intent-same"].append((t, texts[j if j < i else j + 1]))
            intent["intent-name"].append((t, split_camel(label)))

    if a.crops:
        write_crops(a.crops, a.crop_pairs, synsets, groups, a.data, random.Random(a.seed + 2))

    # STS-B train
    sts = []
    with open(os.path.join(a.data, "similarity", "stsbenchmark", "sts-train.csv"), encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 7 and float(p[4]) >= STS_MIN:
                sts.append((p[5], p[6]))

    # mix: each source's share of --pairs (drawn with replacement when a source is smaller)
    shares = {"wordnet-definition": 0.28, "wordnet-example": 0.10, "wordnet-synonym": 0.10,
              "wordnet-hypernym": 0.10, "intent-same": 0.33, "intent-name": 0.06, "sts-train": 0.03}
    pools = dict(wn, **intent)
    pools["sts-train"] = sts
    rows = []
    for name in sorted(shares):
        pool = pools[name]
        k = int(round(shares[name] * a.pairs))
        pick = rng.sample(pool, k) if k <= len(pool) else [rng.choice(pool) for _ in range(k)]
        for s1, s2 in pick:
            if rng.random() < 0.5:
                s1, s2 = s2, s1
            rows.append((s1, s2))
        print(f"{name}: {len(pool)} available, {k} drawn", file=sys.stderr)
    rng.shuffle(rows)
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for s1, s2 in rows:
            f.write(json.dumps({"sentence1": s1, "sentence2": s2, "score": 1}, ensure_ascii=False) + "\n")
    os.replace(tmp, a.out)
    print(f"{len(rows)} pairs -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
