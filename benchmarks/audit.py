"""Label-audit benchmark: inject label noise, audit, score the flags against the truth.

Classification (Movie reviews, fresh vs rotten): random label flips at 10% and
20% (seeds 0-4); for each method, precision / recall of the flagged set
against the flipped records, AUROC of the label-quality score and
precision@k (k = number of flips). Methods, side by side on the same flips:

- ``naive``: in-sample logistic regression; flagged = prediction != given;
- ``plain``: cleanlab on 5-fold out-of-fold logistic regression over frozen
  MiniLM embeddings (the usual baseline);
- ``hybrid`` (the audit's default): cleanlab on the mean of out-of-fold
  probabilities of that logistic regression and of a logistic regression on
  TF-IDF word 1-2-grams of the same texts (the two views err differently);
- ``ensemble`` (optional): logistic regression + cosine kNN on the embeddings
  (measured worse than plain here; kept for comparison).

NER (WNUT-16): corrupt 5% of the entity tags, audit with out-of-fold token
probabilities, report token-level AUROC and precision@k.

Usage::

    python -m benchmarks.audit classification [--rates 0.1 0.2] [--seeds 0 1 2 3 4]
    python -m benchmarks.audit ner [--rate 0.05]

MiniLM vectors are cached in ``data/cache/bench.db`` (sentence embeddings) and
``data/cache/wnut16_tokens.npz`` (word vectors), so reruns skip encoding.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.data import CACHE_DIR, WNUT_CONLL, movie_reviews
from services import audit
from workbench.text import join_words, parse_conll


def reviews_embeddings(texts: list[str]) -> np.ndarray:
    from services.embeddings import embed
    from workbench.store import Store

    with Store(CACHE_DIR / "bench.db") as store:
        return embed(texts, "minilm", store=store, batch_size=128)


def flip(y: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels with ``rate`` of them flipped at random; returns (noisy, flipped mask)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(y), size=int(round(rate * len(y))), replace=False)
    noisy = y.copy()
    noisy[idx] = 1 - noisy[idx]
    mask = np.zeros(len(y), dtype=bool)
    mask[idx] = True
    return noisy, mask


def scores(flagged: np.ndarray, quality: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """precision, recall of ``flagged``; AUROC of (1 - quality); precision@k with k = #truth."""
    from sklearn.metrics import roc_auc_score

    k = int(truth.sum())
    tp = int((flagged & truth).sum())
    top = np.argsort(quality, kind="stable")[:k]
    return {"precision": tp / max(int(flagged.sum()), 1), "recall": tp / max(k, 1),
            "auroc": float(roc_auc_score(truth, -quality)), "p_at_k": float(truth[top].mean()),
            "n_flagged": int(flagged.sum())}


def naive(X: np.ndarray, noisy: np.ndarray, texts=None) -> tuple[np.ndarray, np.ndarray]:
    """In-sample logistic regression: flagged where it disagrees with the given label."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=1000).fit(X, noisy)
    probs = clf.predict_proba(X)
    return probs.argmax(axis=1) != noisy, probs[np.arange(len(noisy)), noisy]


def cleanlab_method(model: str, folds: int):
    def run(X, noisy, texts):
        probs = audit.oof_embedding_probabilities(X, noisy, 2, model=model, folds=folds, seed=0, texts=texts)
        res = audit.classification_issues(noisy, probs, ["fresh", "rotten"])
        return res.is_issue, res.quality
    return run


METHODS = {
    "naive": naive,
    "plain": cleanlab_method("logreg", 5),
    "hybrid": cleanlab_method("hybrid", 5),
    "ensemble": cleanlab_method("ensemble", 5),
}
DEFAULT_METHODS = ("naive", "plain", "hybrid")


def bench_classification(rates, seeds, methods, path=None) -> dict:
    texts, y, _ = movie_reviews("binary", path, dedupe=False)
    t = time.time()
    X = reviews_embeddings(texts)
    print(f"{len(texts)} reviews (fresh {int((y == 0).sum())}, rotten {int((y == 1).sum())}); "
          f"embeddings {time.time() - t:.0f} s", flush=True)
    results: dict = {}
    for rate in rates:
        for seed in seeds:
            noisy, truth = flip(y, rate, seed)
            for name in methods:
                t = time.time()
                flagged, quality = METHODS[name](X, noisy, texts)
                s = scores(np.asarray(flagged, dtype=bool), np.asarray(quality), truth)
                s["seconds"] = time.time() - t
                results.setdefault(rate, {}).setdefault(name, []).append(s)
                print(f"rate {rate:.0%} seed {seed} {name:9s} " + "  ".join(
                    f"{k} {v:.3f}" for k, v in s.items() if k != "n_flagged"), flush=True)
    print("\nmean ± std over seeds")
    print(f"{'noise':>5} {'method':9s} {'precision':>15} {'recall':>15} {'AUROC':>15} {'P@k':>15} {'sec':>6}")
    table = {}
    for rate, by_method in results.items():
        for name, runs in by_method.items():
            row = {k: (float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs])))
                   for k in ("precision", "recall", "auroc", "p_at_k", "seconds")}
            table[f"{rate}/{name}"] = row
            print(f"{rate:>5.0%} {name:9s} " + " ".join(f"{m:.3f} ± {sd:.3f}".rjust(15) for key, (m, sd) in row.items()
                                                         if key != "seconds") + f" {row['seconds'][0]:6.1f}")
    return table


# -- NER --------------------------------------------------------------------------
def bench_ner(rate: float, seed: int, folds: int) -> dict:
    lines = WNUT_CONLL.read_text(encoding="utf-8").splitlines()
    sentences = [(s.words, s.tags) for s in parse_conll(enumerate(lines, start=1), str(WNUT_CONLL))]
    tag_names = sorted({t for _, tags in sentences for t in tags}, key=lambda t: (t != "O", t[2:], t[:1]))
    index = {t: i for i, t in enumerate(tag_names)}
    joined = [join_words(words) for words, _ in sentences]  # the file's own words are the audited tokens
    texts, tokens = [text for text, _ in joined], [toks for _, toks in joined]
    clean = [[index[t] for t in tags] for _, tags in sentences]
    assert all(len(a) == len(b) for a, b in zip(tokens, clean))
    cache = CACHE_DIR / "wnut16_tokens.npz"
    t = time.time()
    if cache.exists():
        data = np.load(cache)
        feats = np.split(data["X"], np.cumsum([len(x) for x in tokens])[:-1])
    else:
        feats = audit.token_features(texts, tokens)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(cache, X=np.concatenate(feats))
    print(f"{len(texts)} tweets, {sum(map(len, tokens))} tokens, {len(tag_names)} tags; "
          f"word vectors {time.time() - t:.0f} s", flush=True)
    rng = np.random.default_rng(seed)
    positions = [(s, i) for s, tl in enumerate(clean) for i, tag in enumerate(tl) if tag != index["O"]]
    chosen = rng.choice(len(positions), size=int(round(rate * len(positions))), replace=False)
    noisy = [list(tl) for tl in clean]
    truth = [np.zeros(len(tl), dtype=bool) for tl in clean]
    for c in chosen:
        s, i = positions[c]
        noisy[s][i] = int(rng.choice([k for k in range(len(tag_names)) if k != clean[s][i]]))
        truth[s][i] = True
    t = time.time()
    probs = audit.oof_token_probabilities(None, tokens, texts, noisy, len(tag_names), folds=folds, seed=seed,
                                          features=feats)
    sentence_q, token_q, flagged = audit.ner_issues(noisy, probs)
    elapsed = time.time() - t
    from sklearn.metrics import roc_auc_score

    tq, tt = np.concatenate(token_q), np.concatenate(truth)
    k = int(tt.sum())
    top = np.argsort(tq, kind="stable")[:k]
    flag_mask = np.zeros(len(tq), dtype=bool)
    offsets = np.cumsum([0] + [len(x) for x in clean])
    for s, i in flagged:
        flag_mask[offsets[s] + i] = True
    # sentence level: does the sentence hold a corrupted token?
    st = np.array([tr.any() for tr in truth])
    out = {"tokens": int(len(tq)), "corrupted": k, "token_auroc": float(roc_auc_score(tt, -tq)),
           "token_p_at_k": float(tt[top].mean()),
           "flagged_precision": float((flag_mask & tt).sum() / max(flag_mask.sum(), 1)),
           "flagged_recall": float((flag_mask & tt).sum() / max(k, 1)),
           "sentence_auroc": float(roc_auc_score(st, -sentence_q)), "seconds": elapsed}
    print(json.dumps(out, indent=1))
    return out


def main(argv=None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="python -m benchmarks.audit", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("classification")
    c.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.2])
    c.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    c.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=list(METHODS))
    c.add_argument("--data", type=Path, help="CSV with text,label (default data/samples/rotten_tomatoes.csv)")
    n = sub.add_parser("ner")
    n.add_argument("--rate", type=float, default=0.05)
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--folds", type=int, default=5)
    args = p.parse_args(argv)
    if args.what == "classification":
        bench_classification(args.rates, args.seeds, args.methods, args.data)
    else:
        bench_ner(args.rate, args.seed, args.folds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
