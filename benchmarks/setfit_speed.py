"""SetFit retrain time against accuracy: today's settings and cheaper ones, side by side.

    python -m benchmarks.setfit_speed [--data fresh_rotten] [--n 256] [--seeds 3] [--eval 500]
        [--configs "old=num_iterations:5,lr:2e-5,freeze_layers:0;default="] [--first-seed 0] [--threads 2]

Every configuration trains on the same ``n`` labelled examples per seed (a stratified draw from the
training part of a fixed split, seed ``s``) and is scored on the same ``--eval`` held-out examples.
The report gives, per configuration, the wall seconds of ``fit()`` (model load, pair training and the
head), held-out accuracy (mean ± std over seeds) and the paired per-seed accuracy difference to the
first configuration. ``--data`` is ``fresh_rotten`` (the Movie reviews snippets, fresh vs rotten, as in
``benchmarks.training``) or any suite data set, so a setting chosen on one set can be checked on another.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from benchmarks.data import SUITE, movie_reviews, suite_dataset

#: the setting before this benchmark (spelt out, so it stays reproducible) against the adapter's defaults now
DEFAULT_CONFIGS = "old=num_iterations:5,lr:2e-5,freeze_layers:0;default="


def parse_configs(spec: str) -> dict[str, dict[str, float | int]]:
    """``"a=k:v,k:v;b=k:v;c="`` -> ``{"a": {"k": v, ...}, "b": {...}, "c": {}}`` (integers stay integers).

    An empty setting (``c=``) is the adapter's defaults.
    """
    out: dict[str, dict[str, float | int]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, body = part.partition("=")
        fields = {}
        for item in filter(None, body.split(",")):
            key, _, value = item.partition(":")
            fields[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        out[name.strip()] = fields
    if not out:
        raise SystemExit(f"no configuration in {spec!r}; e.g. {DEFAULT_CONFIGS!r}")
    return out


def _draw(y: np.ndarray, n: int, n_eval: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    pool, held = train_test_split(idx, test_size=n_eval, stratify=y, random_state=0)  # one split for all seeds
    train, _ = train_test_split(pool, train_size=n, stratify=y[pool], random_state=seed)
    return train, held


def run(data: str, n: int, seeds: int, n_eval: int, configs: dict[str, dict], first_seed: int = 0) -> dict:
    from services.models import get_adapter

    texts, y, names = movie_reviews("binary") if data == "fresh_rotten" else suite_dataset(data)
    y = np.asarray(y)
    rows = []
    for seed in range(first_seed, first_seed + seeds):
        train, held = _draw(y, n, n_eval, seed)
        for name, fields in configs.items():
            adapter = get_adapter("setfit", "classification", names, device="cpu", seed=seed, **fields)
            start = time.perf_counter()
            adapter.fit([texts[i] for i in train], [names[y[i]] for i in train])
            seconds = time.perf_counter() - start
            pred = adapter.predict_proba([texts[i] for i in held]).argmax(axis=1)
            row = {"config": name, "seed": seed, "seconds": round(seconds, 1),
                   "accuracy": round(float((pred == y[held]).mean()), 4)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            adapter.close()
    return {"data": data, "n": n, "eval": n_eval, "configs": configs, "rows": rows, "summary": summarise(rows)}


def summarise(rows: list[dict]) -> dict[str, dict[str, str]]:
    by = {}
    for r in rows:
        by.setdefault(r["config"], {})[r["seed"]] = r
    reference = next(iter(by))
    out = {}
    for name, per_seed in by.items():
        acc = np.array([per_seed[s]["accuracy"] for s in sorted(per_seed)])
        secs = np.array([per_seed[s]["seconds"] for s in sorted(per_seed)])
        delta = acc - np.array([by[reference][s]["accuracy"] for s in sorted(per_seed)])
        out[name] = {"seconds": f"{secs.mean():.0f} ± {secs.std():.0f}",
                     "accuracy": f"{acc.mean():.3f} ± {acc.std():.3f}",
                     f"minus {reference}": f"{delta.mean():+.3f} ± {delta.std():.3f}"}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="fresh_rotten", choices=["fresh_rotten", *sorted(SUITE)])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--eval", type=int, default=500)
    parser.add_argument("--configs", default=DEFAULT_CONFIGS)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed.. (explore on others than 0-2)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    print(json.dumps(run(args.data, args.n, args.seeds, args.eval, parse_configs(args.configs),
                         args.first_seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
