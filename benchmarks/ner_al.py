"""NER active learning on WNUT-16: which sentence uncertainty picks the tweets that teach the ``ner`` adapter most.

    python -m benchmarks.ner_al [--seeds 2] [--first-seed 0] [--seed-size 100] [--batch 100] [--budget 300]
        [--methods random,max,mean,span_entropy] [--dev 300] [--test 400] [--config default] [--threads 2]
    python -m benchmarks.ner_al --merge RUN.json [RUN.json ...]

``--merge`` renders the table of runs saved from stdout (e.g. one process per seed with ``--first-seed``).

The split is :mod:`benchmarks.ner_curve`'s (seed 0: 400 test, 300 development, 1,694 pool tweets).
Per seed, one random seed set (``--seed-size`` pool tweets) is trained once and shared by every method;
then each method adds ``--batch`` tweets per round up to ``--budget``, picked by the product's default
query strategy (``margin``) on :func:`services.active_learning.sentence_probs` with that aggregate
(``random``: a random batch). Every fit is the product's ``ner`` adapter with its defaults. The measure
is seqeval entity F1 on the development and the test set after each round, and its mean over the rounds
after the seed set; choose on the development column, read the test column. Rows go to stderr as they
finish, the JSON result to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from benchmarks.data import wnut_sentences
from benchmarks.ner_curve import _configs, split
from benchmarks.suite_report import _cell

REFERENCE = "max"  # the product's default aggregate when this benchmark was written


def _fit_score(texts, spans, labels, train, held: dict, seed: int, config: dict):
    """A fresh ``ner`` adapter (``config``: NerConfig fields) trained on ``train``; F1 per held-out part, fit seconds."""
    from services.evaluation import ner_metrics
    from services.models import get_adapter

    adapter = get_adapter("ner", "ner", labels, **config, device="cpu", seed=seed)
    start = time.perf_counter()
    adapter.fit([texts[i] for i in train], [spans[i] for i in train])
    seconds = time.perf_counter() - start
    f1 = {}
    for name, part in held.items():
        part_texts = [texts[i] for i in part]
        f1[name] = ner_metrics(part_texts, [spans[i] for i in part], adapter.predict_spans(part_texts), labels)["f1"]
    return adapter, f1, seconds


def _pick(adapter, method: str, texts, pool: list[int], batch: int, seed: int) -> list[int]:
    from services.active_learning import select, sentence_probs

    if method == "random":
        return [pool[i] for i in np.random.default_rng(seed).permutation(len(pool))[:batch]]
    probs = sentence_probs(adapter.predict_proba([texts[i] for i in pool]), method)
    return [pool[i] for i in select("margin", probs, batch, seed=seed)]


def run_seed(seed: int, methods: list[str], *, seed_size: int, batch: int, budget: int, n_dev: int,
             n_test: int, config: dict) -> dict[str, list[dict]]:
    """{method: [{"labels", "dev_f1", "test_f1", "train_seconds"} per round, the shared seed round first]}."""
    texts, spans, labels = wnut_sentences()
    test, dev, pool = split(len(texts), n_dev, n_test)
    held = {"dev": dev, "test": test}
    rng = np.random.default_rng(seed)
    start_set = [pool[i] for i in rng.permutation(len(pool))[:seed_size]]
    first, f1, seconds = _fit_score(texts, spans, labels, start_set, held, seed, config)
    seed_row = {"labels": seed_size, "dev_f1": f1["dev"], "test_f1": f1["test"], "train_seconds": seconds}
    out = {}
    for method in methods:
        labelled, adapter, rows = list(start_set), first, [seed_row]
        while len(labelled) < budget:
            taken = set(labelled)
            rest = [i for i in pool if i not in taken]
            labelled += _pick(adapter, method, texts, rest, min(batch, budget - len(labelled)), seed + len(labelled))
            if adapter is not first:
                adapter.close()
            adapter, f1, seconds = _fit_score(texts, spans, labels, labelled, held, seed, config)
            rows.append({"labels": len(labelled), "dev_f1": f1["dev"], "test_f1": f1["test"],
                         "train_seconds": seconds})
            print(json.dumps({"seed": seed, "method": method, **rows[-1]}), file=sys.stderr, flush=True)
        if adapter is not first:
            adapter.close()
        out[method] = rows
    first.close()
    return out


def summary(per_seed: list[dict[str, list[dict]]], part: str) -> dict[str, list[float]]:
    """Per method, the mean ``part`` F1 over the rounds after the seed set, one value per seed."""
    return {m: [float(np.mean([r[f"{part}_f1"] for r in runs[m][1:]])) for runs in per_seed]
            for m in per_seed[0]}


def render(per_seed: list[dict[str, list[dict]]], seeds: list[int]) -> str:
    """A Markdown table: mean F1 after the seed set, dev and test, Δ paired to :data:`REFERENCE`."""
    lines = ["| method | dev F1, mean over rounds | test F1, mean over rounds | test F1 at the budget |",
             "|---|---|---|---|"]
    dev, test = summary(per_seed, "dev"), summary(per_seed, "test")
    last = {m: [runs[m][-1]["test_f1"] for runs in per_seed] for m in per_seed[0]}
    for m in per_seed[0]:
        ref = None if m == REFERENCE or REFERENCE not in dev else REFERENCE
        name = f"{m} (reference)" if ref is None and m == REFERENCE else m
        lines.append(f"| {name} | {_cell(dev[m], ref and dev[ref])} | {_cell(test[m], ref and test[ref])} | "
                     f"{_cell(last[m], ref and last[ref])} |")
    lines.append("")
    lines.append(f"{len(seeds)} seeds ({', '.join(map(str, seeds))}); Δ = paired per-seed difference to "
                 f"{REFERENCE}, then seeds won.")
    return "\n".join(lines)


def _emit(per_seed: list[dict[str, list[dict]]], seeds: list[int]) -> int:
    """The table to stderr and the run JSON (what ``--merge`` reads back) to stdout."""
    print(render(per_seed, seeds), file=sys.stderr)
    print(json.dumps({"seeds": seeds, "runs": per_seed}, indent=1))
    return 0


def _merge(paths: list[str]) -> int:
    """Print the table (stderr) and the joined JSON (stdout) of runs saved by earlier invocations."""
    seeds, runs = [], []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                saved = json.load(handle)
            seeds += [int(s) for s in saved["seeds"]]
            runs += list(saved["runs"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}: not a saved ner_al run ({exc}); save one with "
                             f"python -m benchmarks.ner_al ... > RUN.json") from None
    methods = [set(r) for r in runs]
    if len(set(seeds)) != len(seeds) or any(m != methods[0] for m in methods):
        raise SystemExit(f"{', '.join(paths)}: the runs must have distinct seeds (got {seeds}) and the same methods")
    return _emit(runs, seeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--seed-size", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--budget", type=int, default=300)
    parser.add_argument("--methods", default="random,max,span_entropy")
    parser.add_argument("--dev", type=int, default=300)
    parser.add_argument("--test", type=int, default=400)
    parser.add_argument("--config", default="default",
                        help="the ner adapter's settings: default, or epochs:lr[:min_steps] (smoke tests)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--merge", nargs="+", metavar="RUN.json", help="render the table of saved runs and stop")
    args = parser.parse_args(argv)
    if args.merge:
        return _merge(args.merge)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    from workbench.config import NER_UNCERTAINTIES

    bad = [m for m in methods if m != "random" and m not in NER_UNCERTAINTIES]
    if bad or args.seed_size < 1 or args.batch < 1 or args.budget <= args.seed_size:
        raise SystemExit(f"methods are random or one of {', '.join(NER_UNCERTAINTIES)} (got {bad or methods}); "
                         f"--seed-size and --batch >= 1 and --budget > --seed-size")
    config = _configs(args.config)[0]
    import torch

    torch.set_num_threads(args.threads)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    per_seed = [run_seed(s, methods, seed_size=args.seed_size, batch=args.batch, budget=args.budget,
                         n_dev=args.dev, n_test=args.test, config=config) for s in seeds]
    return _emit(per_seed, seeds)


if __name__ == "__main__":
    raise SystemExit(main())
