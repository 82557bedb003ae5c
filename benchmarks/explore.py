"""Explore map speed, memory and cluster purity: ``python -m benchmarks.explore [--sizes real,100000] [--json]``.

* **Movie reviews** (13,891 texts, cached MiniLM vectors): map (UMAP) + clusters (HDBSCAN) + keywords, wall
  time and peak memory of this process, and the adjusted Rand index / normalised mutual information of the
  clusters against the reference labels (fresh / rotten / plot), noise points counted as one more cluster and,
  beside it, on the clustered points only.
* **Synthetic 100k**: 100,000 384-d vectors drawn around 20 topic centres and template texts, the same
  steps (fit on a 15k sample, the rest placed in batches). Embedding is not timed here (``make
  bench-embed`` measures it); the vectors are what the embedding cache would hold.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

import numpy as np

from benchmarks import data
from services.explore import clusters as clustering
from services.explore.reduce import MapConfig, reduce

WORDS = ["market", "energy", "music", "garden", "travel", "health", "school", "film", "sport", "cooking",
         "science", "fashion", "finance", "weather", "history", "games", "cars", "books", "art", "law"]


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _pipeline(vectors: np.ndarray, texts: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    out: dict[str, Any] = {"points": len(vectors)}
    started = time.perf_counter()
    coords = reduce(vectors, MapConfig())
    out["map_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    labels, method = clustering.cluster(coords)
    out["cluster_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    clustering.keywords(texts, labels)
    clustering.representatives(vectors, labels)
    out["describe_s"] = round(time.perf_counter() - started, 1)
    out["total_s"] = round(out["map_s"] + out["cluster_s"] + out["describe_s"], 1)
    out["method"] = method
    out["clusters"] = int(labels.max() + 1)
    out["noise_share"] = round(float(np.mean(labels == clustering.NOISE)), 3)
    out["peak_rss_mb"] = _peak_mb()
    return labels, out


def movie_reviews() -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    texts, y, names = data.movie_reviews("3class")
    vectors = data.cached_embeddings(texts)
    labels, out = _pipeline(vectors, texts)
    kept = labels != clustering.NOISE
    out.update(name="Movie reviews", classes=names,
               ari=round(adjusted_rand_score(y, labels), 3), nmi=round(normalized_mutual_info_score(y, labels), 3),
               ari_clustered=round(adjusted_rand_score(y[kept], labels[kept]), 3),
               nmi_clustered=round(normalized_mutual_info_score(y[kept], labels[kept]), 3))
    return out


def synthetic(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(WORDS), 384)).astype(np.float32)
    topic = rng.integers(0, len(WORDS), size=n)
    vectors = centres[topic] + rng.normal(scale=0.6, size=(n, 384)).astype(np.float32)
    texts = [f"a note on {WORDS[t]} and {WORDS[(t + 1) % len(WORDS)]} number {i}" for i, t in enumerate(topic)]
    from sklearn.metrics import adjusted_rand_score

    labels, out = _pipeline(vectors, texts)
    out.update(name=f"synthetic {n:,}", ari=round(adjusted_rand_score(topic, labels), 3))
    return out


def page_latency(n: int = 15_000, reruns: int = 5) -> dict[str, Any]:
    """Seconds of one Explore page run (colour change or selection: both rerun the page) on an n-point map,
    through Streamlit's AppTest (the server side of an interaction; the browser then draws the points)."""
    import os
    import statistics
    import tempfile
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from pages.ui.state import DEMO_CHECKED, EXPLORE_COLOUR, PROJECT
    from workbench.store import NewRecord, Store
    from workbench.types import text_hash

    rng = np.random.default_rng(0)
    before = os.environ.get("WORKBENCH_DB")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "page.db"
        os.environ["WORKBENCH_DB"] = str(db)  # the app opens $WORKBENCH_DB
        with Store(db) as store:
            project = store.create_project("map", "classification", ["a", "b", "c"])
            ids = store.insert_records(project.id, [NewRecord(uid=text_hash(f"t{i}"), text=f"a note on {WORDS[i % 20]} {i}")
                                                    for i in range(n)])
            store.save_map(project, "minilm", store.data_version(project), "synthetic", 0.0,
                           ((rid, *rng.normal(size=2), i % 20) for i, rid in enumerate(ids)),
                           ((c, n // 20, [WORDS[c]], [ids[c]]) for c in range(20)))
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
        at.session_state[DEMO_CHECKED] = True
        at.session_state[PROJECT] = "map"
        at.run()
        at.switch_page("pages/explore.py").run()
        times = []
        for i in range(reruns):
            started = time.perf_counter()
            at.selectbox(key=EXPLORE_COLOUR).set_value(["status", "cluster"][i % 2]).run()
            times.append(time.perf_counter() - started)
        if before is None:
            os.environ.pop("WORKBENCH_DB", None)
        else:
            os.environ["WORKBENCH_DB"] = before
    return {"points": n, "rerun_median_s": round(statistics.median(times), 2), "rerun_max_s": round(max(times), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="real,100000", help="'real' = Movie reviews, numbers = synthetic sizes")
    parser.add_argument("--page", type=int, default=0, help="also time the Explore page on a map of N points")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = [movie_reviews() if s == "real" else synthetic(int(s)) for s in args.sizes.split(",") if s]
    page = page_latency(args.page) if args.page else None
    if args.json:
        print(json.dumps({"pipeline": results, "page": page}, indent=1))
        return 0
    if page:
        print(f"Explore page run on {page['points']:,} points: median {page['rerun_median_s']} s, "
              f"max {page['rerun_max_s']} s")
    print("| data | points | map (UMAP) | clusters | keywords + representatives | total | peak RSS | clusters found "
          "| unclustered | ARI (all / clustered) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ari = f"{r['ari']}" + (f" / {r['ari_clustered']}" if "ari_clustered" in r else "")
        print(f"| {r['name']} | {r['points']:,} | {r['map_s']} s | {r['cluster_s']} s | {r['describe_s']} s | "
              f"{r['total_s']} s | {r['peak_rss_mb']:,} MB | {r['clusters']} ({r['method']}) | "
              f"{r['noise_share']:.0%} | {ari} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
