"""Entity F1 of the ``ner`` adapter as the number of labelled WNUT-16 sentences grows.

    python -m benchmarks.ner_curve [--sizes 100,250,500,1000] [--configs default,3:1e-4:0]
        [--dev 300] [--test 400] [--threads 2]

Rows go to stderr as they finish; the JSON list of all rows goes to stdout.

The 2,394 WNUT-16 tweets are shuffled once (seed 0) into a test set (``--test``), a development set
(``--dev``) and a training pool; every configuration trains on the same first N pool sentences for
every N, so the rows differ only by the setting. A configuration is ``default`` (the ``ner``
adapter's defaults) or ``epochs:lr[:min_steps]``. The report gives seqeval entity F1 on
the development and the test set and the training time; choose settings on the dev column, read the
test column.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from benchmarks.data import wnut_sentences


def _configs(spec: str) -> list[dict]:
    from services.models.ner import NerConfig

    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        if part == "default":
            c = NerConfig()
            out.append({"epochs": c.epochs, "lr": c.lr, "min_steps": c.min_steps})
            continue
        fields = part.split(":")
        if len(fields) not in (2, 3):
            raise SystemExit(f"bad configuration {part!r}: write default or epochs:lr[:min_steps], e.g. 3:3e-4:200")
        out.append({"epochs": int(fields[0]), "lr": float(fields[1]),
                    "min_steps": int(fields[2]) if len(fields) == 3 else 0})
    return out


def split(n: int, n_dev: int, n_test: int, seed: int = 0) -> tuple[list[int], list[int], list[int]]:
    """(test, dev, pool) indices of ``n`` sentences, shuffled once by ``seed``."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order[:n_test], order[n_test:n_test + n_dev], order[n_test + n_dev:]


def run(sizes: list[int], configs: list[dict], n_dev: int, n_test: int, seed: int = 0) -> list[dict]:
    from services.evaluation import ner_metrics
    from services.models import get_adapter

    texts, spans, labels = wnut_sentences()
    test, dev, pool = split(len(texts), n_dev, n_test, seed)
    if max(sizes) > len(pool):
        raise SystemExit(f"only {len(pool)} training sentences after dev and test; use --sizes up to {len(pool)}")
    rows = []
    for config in configs:
        for n in sizes:
            train = pool[:n]
            adapter = get_adapter("ner", "ner", labels, **config, device="cpu", seed=seed)
            start = time.perf_counter()
            adapter.fit([texts[i] for i in train], [spans[i] for i in train])
            seconds = time.perf_counter() - start
            row = {**config, "sentences": n, "train_seconds": round(seconds, 1)}
            for name, part in (("dev", dev), ("test", test)):
                held = [texts[i] for i in part]
                metric = ner_metrics(held, [spans[i] for i in part], adapter.predict_spans(held), labels)
                row[f"{name}_f1"] = round(metric["f1"], 3)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            adapter.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,250,500,1000")
    parser.add_argument("--configs", default="default",
                        help="comma-separated: default, or epochs:lr[:min_steps] (e.g. 3:1e-4:0, the old default)")
    parser.add_argument("--dev", type=int, default=300)
    parser.add_argument("--test", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    rows = run([int(s) for s in args.sizes.split(",")], _configs(args.configs), args.dev, args.test)
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
