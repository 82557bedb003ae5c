"""Label-efficiency and round-latency benchmarks for the query strategies.

Run ``python -m benchmarks.active_learning efficiency`` (Movie reviews, 5 seeds, every
strategy plus small-text's BreakingTies with the same classifier) or
``python -m benchmarks.active_learning latency`` (:mod:`benchmarks.round_latency`).
Embeddings are computed once and cached under ``data/cache/`` (:mod:`benchmarks.data`).

Measures
--------
- ``auc``: mean test accuracy over the curve from the seed set to the budget
  (trapezoid area divided by the label range), higher = better;
- ``labels_to_95``: first label count whose accuracy reaches 95% of the
  full-pool accuracy (``None`` if never within the budget), lower = better.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.data import cached_embeddings, movie_reviews
from services.active_learning import STRATEGIES, select

DEFAULT_STRATEGIES = ("random", "margin", "entropy", "margin_kcenter", "cluster_margin", "power_margin",
                      "power_entropy")


# -- one simulated curve (in memory, same select() as the live queue) ---------------

class _Head:
    """The ``logreg`` adapter's head on precomputed vectors, with a sklearn-like face."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        from services.models.logreg import LogRegAdapter

        k = int(y.max()) + 1
        self.adapter = LogRegAdapter("classification", [str(i) for i in range(max(k, 2))])
        self.adapter.fit_embeddings(X, y)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.adapter.predict_proba_embeddings(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


def fit_logreg(X: np.ndarray, y: np.ndarray) -> _Head:
    """The embedding classifier every curve uses: exactly the ``logreg`` adapter's head."""
    return _Head(X, y)


def _split(n: int, seed: int, test_share: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test = int(round(n * test_share))
    return order[n_test:], order[:n_test]


def _seed_set(y_pool: np.ndarray, seed_size: int, seed: int) -> np.ndarray:
    # Random seed set with at least one example per class, shared by every strategy of a seed.
    rng = np.random.default_rng(seed + 1000)
    order = rng.permutation(len(y_pool))
    first = [order[np.flatnonzero(y_pool[order] == c)[0]] for c in np.unique(y_pool)]
    rest = [i for i in order if i not in set(first)]
    return np.asarray(first + rest[: seed_size - len(first)], dtype=int)


def curve(X, y, strategy: str, *, seed: int = 0, seed_size: int = 20, batch: int = 20, budget: int = 500,
          test_share: float = 0.25) -> dict:
    """Run one active-learning loop; return its curve and timing."""
    pool_idx, test_idx = _split(len(y), seed, test_share)
    Xp, yp, Xt, yt = X[pool_idx], y[pool_idx], X[test_idx], y[test_idx]
    labelled = _seed_set(yp, seed_size, seed)
    mask = np.zeros(len(yp), dtype=bool)
    mask[labelled] = True
    points, t0 = [], time.perf_counter()
    while True:
        t = time.perf_counter()
        clf = fit_logreg(Xp[mask], yp[mask])
        train_s = time.perf_counter() - t
        points.append({"labels": int(mask.sum()), "accuracy": float((clf.predict(Xt) == yt).mean()),
                       "train_seconds": train_s})
        if mask.sum() >= budget:
            break
        unl = np.flatnonzero(~mask)
        n = min(batch, budget - int(mask.sum()), len(unl))
        picks = select(strategy, clf.predict_proba(Xp[unl]), n, embeddings=Xp[unl],
                       labelled_embeddings=Xp[mask], seed=seed * 7919 + int(mask.sum()))
        mask[unl[picks]] = True
    return {"curve": points, "seconds": time.perf_counter() - t0}


def smalltext_curve(X, y, *, seed: int = 0, seed_size: int = 20, batch: int = 20, budget: int = 500,
                    test_share: float = 0.25) -> dict:
    """The same loop run by small-text's PoolBasedActiveLearner + BreakingTies."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from small_text import BreakingTies, PoolBasedActiveLearner, SklearnClassifierFactory
    from small_text.data import SklearnDataset

    pool_idx, test_idx = _split(len(y), seed, test_share)
    Xp, yp, Xt, yt = X[pool_idx], y[pool_idx], X[test_idx], y[test_idx]
    labelled = _seed_set(yp, seed_size, seed)
    # same settings as the logreg adapter's head (LogRegConfig defaults)
    base = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced", random_state=0)
    factory = SklearnClassifierFactory(base, int(y.max()) + 1)
    learner = PoolBasedActiveLearner(factory, BreakingTies(), SklearnDataset(Xp, yp))
    warnings.filterwarnings("ignore", module="small_text")  # target_labels / deprecation chatter
    t0 = time.perf_counter()
    learner.initialize_data(labelled, yp[labelled])
    n_labels, points = len(labelled), []
    while True:
        acc = float((learner.classifier.predict(SklearnDataset(Xt, yt)) == yt).mean())
        points.append({"labels": n_labels, "accuracy": acc})
        if n_labels >= budget:
            break
        n = min(batch, budget - n_labels)
        picked = learner.query(num_samples=n)
        learner.update(yp[picked])
        n_labels += len(picked)
    return {"curve": points, "seconds": time.perf_counter() - t0}


def full_pool_accuracy(X, y, *, seed: int, test_share: float = 0.25) -> float:
    pool_idx, test_idx = _split(len(y), seed, test_share)
    clf = fit_logreg(X[pool_idx], y[pool_idx])
    return float((clf.predict(X[test_idx]) == y[test_idx]).mean())


def area(points: list[dict]) -> float:
    """Trapezoid area under accuracy-vs-labels, divided by the label range."""
    x = np.array([p["labels"] for p in points], dtype=float)
    a = np.array([p["accuracy"] for p in points], dtype=float)
    if len(x) < 2:
        return float(a[0]) if len(a) else 0.0
    return float(np.sum((x[1:] - x[:-1]) * (a[1:] + a[:-1]) / 2) / (x[-1] - x[0]))


def labels_to_reach(points: list[dict], target: float) -> int | None:
    return next((p["labels"] for p in points if p["accuracy"] >= target), None)


# -- benchmarks -------------------------------------------------------------------------

def efficiency(task: str, strategies: Sequence[str], seeds: Sequence[int], *, budget: int = 500,
               batch: int = 20, seed_size: int = 20, smalltext: bool = True, path: Path | None = None,
               log=print) -> dict:
    """Label-efficiency table: per method, mean/std AUC, labels to 95% of full pool and wall time."""
    texts, y, names = movie_reviews(task, path)
    X = cached_embeddings(texts)
    methods = list(strategies) + (["smalltext_breaking_ties"] if smalltext else [])
    rows: dict[str, list[dict]] = {m: [] for m in methods}
    fulls = []
    for seed in seeds:
        full = full_pool_accuracy(X, y, seed=seed)
        fulls.append(full)
        for m in methods:
            kw = dict(seed=seed, seed_size=seed_size, batch=batch, budget=budget)
            res = smalltext_curve(X, y, **kw) if m == "smalltext_breaking_ties" else curve(X, y, m, **kw)
            rows[m].append({"auc": area(res["curve"]), "labels_to_95": labels_to_reach(res["curve"], 0.95 * full),
                            "final": res["curve"][-1]["accuracy"], "seconds": res["seconds"]})
            log(f"  {task} seed={seed} {m:24s} auc={rows[m][-1]['auc']:.4f} "
                f"l95={rows[m][-1]['labels_to_95']} final={rows[m][-1]['final']:.4f} {res['seconds']:.1f}s")
    summary = {}
    for m, rs in rows.items():
        l95 = [r["labels_to_95"] if r["labels_to_95"] is not None else budget + batch for r in rs]
        summary[m] = {
            "auc_mean": statistics.mean(r["auc"] for r in rs),
            "auc_std": statistics.pstdev([r["auc"] for r in rs]),
            "labels_to_95_mean": statistics.mean(l95),
            "reached_95": sum(r["labels_to_95"] is not None for r in rs),
            "final_accuracy": statistics.mean(r["final"] for r in rs),
            "seconds_mean": statistics.mean(r["seconds"] for r in rs),
        }
    return {"task": task, "labels": names, "n": len(y), "seeds": list(seeds), "budget": budget, "batch": batch,
            "full_pool_accuracy": statistics.mean(fulls), "methods": summary, "runs": rows}


def _print_table(result: dict) -> None:
    print(f"\n{result['task']} ({result['n']} texts, labels {result['labels']}), full-pool accuracy "
          f"{result['full_pool_accuracy']:.4f}, budget {result['budget']}, batch {result['batch']}, "
          f"{len(result['seeds'])} seeds")
    print(f"{'method':26s} {'AUC':>14s} {'labels->95%':>12s} {'reached':>8s} {'acc@budget':>10s} {'wall s':>7s}")
    for m, s in sorted(result["methods"].items(), key=lambda kv: -kv[1]["auc_mean"]):
        print(f"{m:26s} {s['auc_mean']:.4f}±{s['auc_std']:.4f} {s['labels_to_95_mean']:12.1f} "
              f"{s['reached_95']:>5d}/{len(result['seeds'])} {s['final_accuracy']:10.4f} {s['seconds_mean']:7.2f}")


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(prog="python -m benchmarks.active_learning", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="bench", required=True)
    eff = sub.add_parser("efficiency", help="label efficiency on the Movie reviews sample")
    eff.add_argument("--task", choices=["binary", "3class", "both"], default="both")
    eff.add_argument("--strategies", default=",".join(DEFAULT_STRATEGIES),
                     help=f"comma-separated; valid: {', '.join(STRATEGIES)}")
    eff.add_argument("--seeds", type=int, default=5)
    eff.add_argument("--budget", type=int, default=500)
    eff.add_argument("--batch", type=int, default=20)
    eff.add_argument("--no-smalltext", action="store_true")
    eff.add_argument("--data", type=Path, help="CSV (default data/samples/rotten_tomatoes.csv)")
    eff.add_argument("--json", type=Path, help="also write the full result here")
    lat = sub.add_parser("latency", help="labels submitted -> new suggestions and queue ready, 10k pool")
    lat.add_argument("--records", type=int, default=10_000)
    lat.add_argument("--rounds", type=int, default=10)
    lat.add_argument("--strategy", default="margin")
    lat.add_argument("--batch", type=int, default=10, help="labels per round (= retrain_every)")
    lat.add_argument("--data", type=Path)
    args = parser.parse_args(argv)
    if args.bench == "efficiency":
        tasks = ["binary", "3class"] if args.task == "both" else [args.task]
        out = []
        for task in tasks:
            res = efficiency(task, args.strategies.split(","), range(args.seeds), budget=args.budget,
                             batch=args.batch, smalltext=not args.no_smalltext, path=args.data,
                             log=lambda s: print(s, file=sys.stderr))
            _print_table(res)
            out.append(res)
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
        return 0
    from benchmarks.round_latency import latency_benchmark

    res = latency_benchmark(records=args.records, rounds=args.rounds, batch=args.batch, strategy=args.strategy,
                            path=args.data)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
