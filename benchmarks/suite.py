"""The multi-data-set benchmark suite: active-learning efficiency and label audits, defaults vs references.

Every data set of :data:`benchmarks.data.SUITE` (fetch them with
``python -m workbench samples fetch --suite``), every method side by side in
one run, on the same splits, seed sets, flips and seeds:

- **al**: area under test accuracy from 20 to 500 labels (batches of 20, 25%
  test split). References: ``random`` and ``margin`` (small-text's
  BreakingTies) with the plain ``logreg`` head on MiniLM, both from a random
  20-label seed set. ``default`` is the product's pipeline end to end: the
  cold-start queue on MiniLM (one record per KMeans cluster, zero-shot accuracy
  while some label has fewer than 2 examples), then
  ``DEFAULT_ADAPTERS["classification"]`` on the vectors ``model_encoder: auto``
  gives it (mpnet when it is fetched) with ``DEFAULT_STRATEGY``;
  ``default@minilm`` the same on MiniLM alone (what runs without mpnet).
- **audit**: random label flips (10% and 20%, to a uniformly drawn other
  class); precision@k (k = flips) of the label-quality ranking. Reference
  ``plain``: cleanlab on 5-fold out-of-fold plain logistic regression on the
  MiniLM vectors; ``default``: the product's audit (``AuditConfig()``, averaged
  over mpnet's vectors too when mpnet is fetched); ``default@minilm``: the same
  on MiniLM alone.

Each table cell is mean ± std over seeds; "Δ" is the mean ± std of the paired
per-seed difference to the reference, with the count of seeds it won.

Usage::

    python -m benchmarks.suite all --seeds 5 [--readme README.md] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.active_learning import _split, area
from benchmarks.audit import scores
from benchmarks.data import SUITE, cached_embeddings, suite_dataset
from benchmarks.suite_methods import AL_METHODS, AUDIT_METHODS, flip_any
from benchmarks.suite_report import render, render_zero_shot, write_readme

AL_REFERENCE, AUDIT_REFERENCE = "margin", "plain"
DEFAULT_AL = ("random", "margin", "default", "default@minilm")
DEFAULT_AUDIT = ("plain", "default@minilm", "default")


def al_run(texts, X, y, names, method: str, seed: int, *, seed_size=20, batch=20, budget=500,
           test_share=0.25) -> float:
    """One curve of ``method``; returns its area (mean accuracy from the first batch to ``budget``)."""
    pool_idx, test_idx = _split(len(y), seed, test_share)
    spec = AL_METHODS[method]
    ctx = spec.context(texts, X, names, pool_idx, test_idx)
    yp, yt = y[pool_idx], y[test_idx]
    mask = np.zeros(len(pool_idx), dtype=bool)
    mask[spec.first_batch(ctx, yp, seed_size, seed)] = True
    points = []
    while True:
        model = spec.fit(ctx, np.flatnonzero(mask), yp[mask], len(names))
        points.append({"labels": int(mask.sum()), "accuracy": float((model.predict_test() == yt).mean())})
        if mask.sum() >= budget or mask.all():
            break
        unl = np.flatnonzero(~mask)
        n = min(batch, budget - int(mask.sum()), len(unl))
        mask[unl[model.pick(unl, n, np.flatnonzero(mask), seed * 7919 + int(mask.sum()))]] = True
    return area(points)


def audit_run(texts, X, y, names, method: str, rate: float, seed: int) -> float:
    """precision@k of ``method`` on one seeded set of flips."""
    noisy, truth = flip_any(y, len(names), rate, seed)
    quality = AUDIT_METHODS[method](texts, X, noisy, names)
    return scores(np.zeros(len(y), dtype=bool), np.asarray(quality), truth)["p_at_k"]


def zero_shot_row(X, y, names) -> dict:
    """Zero-shot (cosine to the label names, as the cold start suggests) on every text vs the majority label."""
    from services.active_learning import zero_shot

    predicted = zero_shot(X, cached_embeddings(list(names))).argmax(axis=1)
    return {"accuracy": float((predicted == y).mean()), "majority": float(np.bincount(y).max() / len(y))}


def run_suite(parts: Sequence[str], datasets: Sequence[str], seeds: Sequence[int], al_methods: Sequence[str],
              audit_methods: Sequence[str], rates: Sequence[float], log: Callable[[str], None] = print,
              **curve: int) -> dict:
    """Every method of every part on every data set and seed; raw per-seed values, keyed
    ``result[part][dataset][setting][method] = [value per seed]``. ``curve``: ``seed_size``, ``batch``,
    ``budget`` of the active-learning loop."""
    result: dict = {"seeds": list(seeds), "datasets": {}, "al": {}, "audit": {}, "zeroshot": {}}
    for name in datasets:
        t = time.time()
        texts, y, names = suite_dataset(name)
        X = cached_embeddings(texts)
        result["datasets"][name] = {"n": len(y), "classes": len(names), "domain": SUITE[name][1],
                                    "majority": float(np.bincount(y).max() / len(y))}
        log(f"{name}: {len(y)} texts, {len(names)} classes, vectors in {time.time() - t:.0f} s")
        if "zeroshot" in parts:
            result["zeroshot"][name] = zero_shot_row(X, y, names)
            log(f"  zero-shot accuracy {result['zeroshot'][name]['accuracy']:.3f} "
                f"(majority {result['zeroshot'][name]['majority']:.3f})")
        if "al" in parts:
            cell = result["al"].setdefault(name, {}).setdefault(f"auc@{curve.get('budget', 500)}", {})
            for method in al_methods:
                t = time.time()
                cell[method] = [al_run(texts, X, y, names, method, s, **curve) for s in seeds]
                log(f"  al {method:22s} {np.mean(cell[method]):.4f} ± {np.std(cell[method]):.4f} "
                    f"({time.time() - t:.0f} s)")
        if "audit" in parts:
            for rate in rates:
                cell = result["audit"].setdefault(name, {}).setdefault(f"P@k {rate:.0%} flips", {})
                for method in audit_methods:
                    t = time.time()
                    cell[method] = [audit_run(texts, X, y, names, method, rate, s) for s in seeds]
                    log(f"  audit {rate:.0%} {method:18s} {np.mean(cell[method]):.4f} ± "
                        f"{np.std(cell[method]):.4f} ({time.time() - t:.0f} s)")
    return result


def merge_results(results: Sequence[dict], methods: dict[str, Sequence[str]] | None = None) -> dict:
    """One result of several :func:`run_suite` results on the same seeds (e.g. one process per data set),
    data sets in :data:`SUITE` order; a data set in two of them keeps the later one's methods too.
    ``methods`` (part -> names) keeps those methods alone, in that order."""
    seeds = {tuple(r["seeds"]) for r in results}
    if len(seeds) != 1:
        raise SystemExit(f"the results ran on different seeds ({sorted(seeds)}); merge runs of the same seeds")
    merged: dict = {"seeds": list(seeds.pop()), "datasets": {}, "al": {}, "audit": {}, "zeroshot": {}}
    for r in results:
        merged["datasets"].update(r["datasets"])
        merged["zeroshot"].update(r["zeroshot"])
        for part in ("al", "audit"):
            for name, settings in r[part].items():
                for setting, by_method in settings.items():
                    merged[part].setdefault(name, {}).setdefault(setting, {}).update(by_method)
    order = list(SUITE)
    for part in ("al", "audit", "zeroshot"):
        merged[part] = dict(sorted(merged[part].items(), key=lambda kv: order.index(kv[0])))
    for part, names in (methods or {}).items():
        for settings in merged[part].values():
            for setting, by_method in settings.items():
                settings[setting] = {m: by_method[m] for m in names if m in by_method}
    return merged


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="python -m benchmarks.suite", description=__doc__.splitlines()[0])
    p.add_argument("part", choices=["al", "audit", "zeroshot", "all"])
    p.add_argument("--datasets", default=",".join(SUITE), help=f"comma-separated ({', '.join(SUITE)})")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--first-seed", type=int, default=0, help="seeds run from here (tuning used 100 and up)")
    p.add_argument("--al-methods", default=",".join(DEFAULT_AL),
                   help=f"of {', '.join(AL_METHODS)}; with --from-json, the columns to show")
    p.add_argument("--audit-methods", default=",".join(DEFAULT_AUDIT),
                   help=f"of {', '.join(AUDIT_METHODS)}; with --from-json, the columns to show")
    p.add_argument("--rates", default="0.1,0.2")
    p.add_argument("--seed-size", type=int, default=20)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--budget", type=int, default=500)
    p.add_argument("--json", type=Path, help="write the raw per-seed values here")
    p.add_argument("--readme", type=Path, help="replace the suite tables between its markers in this file")
    p.add_argument("--from-json", metavar="A.json,B.json",
                   help="run nothing: merge these --json results (runs split by data set) into the tables")
    args = p.parse_args(argv)
    parts = ("zeroshot", "al", "audit") if args.part == "all" else (args.part,)
    if args.from_json:
        result = merge_results([json.loads(Path(f).read_text()) for f in args.from_json.split(",")],
                               {"al": args.al_methods.split(","), "audit": args.audit_methods.split(",")})
        parts = tuple(part for part in parts if result[part])
    else:
        result = run_suite(parts, args.datasets.split(","), list(range(args.first_seed, args.first_seed + args.seeds)),
                           args.al_methods.split(","), args.audit_methods.split(","),
                           [float(r) for r in args.rates.split(",")],
                           seed_size=args.seed_size, batch=args.batch, budget=args.budget)
    tables = {part: render_zero_shot(result) if part == "zeroshot" else
              render(result, part, AL_REFERENCE if part == "al" else AUDIT_REFERENCE) for part in parts}
    for table in tables.values():
        print(f"\n{table}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    if args.readme:
        for part, table in tables.items():
            write_readme(args.readme, f"suite-{part}", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
