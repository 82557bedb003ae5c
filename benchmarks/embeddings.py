"""Embedding throughput and fidelity: the packaged MiniLM in torch vs its int8 ONNX copy, side by side.

``python -m benchmarks.embeddings [--n 300] [--repeats 3] [--accuracy]`` encodes ``n`` short review
snippets, ``n`` long plot summaries and ``n`` fragments (the first 1-3 words of other snippets) of the
Movie reviews sample with each encoder (model load and the one-time ONNX conversion are not timed; the
encoders alternate per repeat, so load on the machine hits both alike) and prints texts per second
(median of the repeats), the cosine of each int8 vector to its torch vector, and the time to embed the
whole corpus once: the one-time cost of a project's first round. ``--accuracy`` adds the downstream
check on data the int8 settings were not chosen on: per suite data set, the cosine of every text's int8
vector to its torch vector and the test accuracy of plain logistic regression on each encoder's
vectors, the same 5 stratified splits (75/25) for both.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time

import numpy as np

from services.embeddings import load_encoder
from workbench.config import SAMPLES_DIR

ENCODERS = ("minilm", "minilm-int8")
CORPUS = ("snippets", "plot_summaries")  # the Movie reviews project's texts; fragments are a probe


def _vectors(name: str, texts: list[str]) -> tuple[np.ndarray, float]:
    encoder = load_encoder(name)
    start = time.perf_counter()
    out = encoder.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                         show_progress_bar=False)
    return np.asarray(out, dtype=np.float32), len(texts) / (time.perf_counter() - start)


def _cosine_summary(cosine: np.ndarray) -> dict:
    return {"mean": round(float(cosine.mean()), 4), "min": round(float(cosine.min()), 4),
            "share_below_0.99": round(float((cosine < 0.99).mean()), 4)}


def throughput(n: int, repeats: int, path, extra: tuple[str, ...] = ()) -> dict:
    """texts/s of each encoder (``extra`` ones timed in the same loop, reported relative to ``minilm``)."""
    encoders = (*ENCODERS, *extra)
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    snippets = [r["text"] for r in rows if r["label"] != "plot"]
    # 1-3 words (titles, replies, SMS): the texts int8 rounding moves most; from snippets not timed above
    fragments = [" ".join(t.split()[: 1 + i % 3]) for i, t in enumerate(snippets[n: 2 * n])]
    kinds = {"snippets": snippets, "plot_summaries": [r["text"] for r in rows if r["label"] == "plot"],
             "fragments": fragments}
    for name in encoders:
        load_encoder(name)
    rates: dict[str, dict[str, list[float]]] = {e: {k: [] for k in kinds} for e in encoders}
    cosines: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for kind, texts in kinds.items():
            got = {}
            for name in encoders:
                got[name], rate = _vectors(name, texts[:n])
                rates[name][kind].append(rate)
            cosines[kind] = (got["minilm"] * got["minilm-int8"]).sum(axis=1)
    median = {e: {k: statistics.median(v) for k, v in r.items()} for e, r in rates.items()}
    report = {e: {"texts_per_second": {k: round(v, 1) for k, v in m.items()},
                  "corpus_seconds": round(sum(len(kinds[k]) / m[k] for k in CORPUS))}
              for e, m in median.items()}
    report["speed-up"] = {k: round(median["minilm-int8"][k] / median["minilm"][k], 2) for k in kinds}
    for e in extra:
        report[f"{e} / minilm"] = {k: round(median[e][k] / median["minilm"][k], 3) for k in kinds}
    report["cosine_int8_to_torch"] = {k: _cosine_summary(c) for k, c in cosines.items()}
    report["mean_chars"] = {k: round(sum(map(len, v[:n])) / max(len(v[:n]), 1)) for k, v in kinds.items()}
    report["corpus"] = {k: len(kinds[k]) for k in CORPUS}
    return report


def accuracy(seeds: int = 5) -> dict:
    """Test accuracy of logistic regression on each encoder's vectors: mean, std and the paired difference."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedShuffleSplit

    from benchmarks.data import SUITE, cached_embeddings, suite_dataset

    out = {}
    for name in SUITE:
        texts, y, _ = suite_dataset(name)
        views = {e: cached_embeddings(texts, e) for e in ENCODERS}
        cosine = (views["minilm"] * views["minilm-int8"]).sum(axis=1)
        scores = {e: [] for e in ENCODERS}
        for train, test in StratifiedShuffleSplit(seeds, test_size=0.25, random_state=0).split(texts, y):
            for e, x in views.items():
                model = LogisticRegression(C=1.0, max_iter=2000).fit(x[train], y[train])
                scores[e].append(float((model.predict(x[test]) == y[test]).mean()))
        delta = np.subtract(scores["minilm-int8"], scores["minilm"])
        out[name] = {"cosine": _cosine_summary(cosine),
                     **{e: f"{np.mean(s):.3f} ± {np.std(s):.3f}" for e, s in scores.items()},
                     "int8 - torch": f"{delta.mean():+.3f} ± {delta.std():.3f}"}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="texts per kind (short snippets, long plot summaries)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--accuracy", action="store_true", help="also the downstream logistic-regression check")
    parser.add_argument("--with", dest="extra", default="", help="more encoders timed in the same loop, e.g. mpnet")
    parser.add_argument("--csv", default=str(SAMPLES_DIR / "rotten_tomatoes.csv"))
    args = parser.parse_args(argv)
    report = throughput(args.n, args.repeats, args.csv, tuple(e for e in args.extra.split(",") if e))
    if args.accuracy:
        report["logreg_accuracy"] = accuracy()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
