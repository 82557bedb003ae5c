"""Embedding throughput of the packaged MiniLM on the Movie reviews sample.

``python -m benchmarks.embeddings [--n 300]`` encodes ``n`` short review
snippets and ``n`` long plot summaries into a throw-away store (cold cache)
and prints texts per second for each, plus the time to embed the whole corpus
once: the one-time cost of a project's first retrain (later rounds read the
``embeddings`` cache).
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from services.embeddings import embed, load_encoder
from workbench.config import SAMPLES_DIR
from workbench.store import Store


def _rate(texts: list[str], store: Store) -> float:
    start = time.perf_counter()
    embed(texts, store=store)
    return len(texts) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="texts per kind (short snippets, long plot summaries)")
    parser.add_argument("--csv", default=str(SAMPLES_DIR / "rotten_tomatoes.csv"))
    args = parser.parse_args(argv)
    rows = list(csv.DictReader(open(args.csv, encoding="utf-8")))
    short = [r["text"] for r in rows if r["label"] != "plot"]
    long = [r["text"] for r in rows if r["label"] == "plot"]
    load_encoder("minilm")  # model load is not part of the throughput
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
        rates = {"snippets": _rate(short[:args.n], store), "plot_summaries": _rate(long[:args.n], store)}
    chars = {"snippets": sum(map(len, short[:args.n])) / args.n, "plot_summaries": sum(map(len, long[:args.n])) / args.n}
    corpus_s = len(short) / rates["snippets"] + len(long) / rates["plot_summaries"]
    print(json.dumps({"texts_per_second": {k: round(v, 1) for k, v in rates.items()},
                      "mean_chars": {k: round(v) for k, v in chars.items()},
                      "corpus": {"snippets": len(short), "plot_summaries": len(long),
                                 "estimated_first_embedding_seconds": round(corpus_s)}}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
