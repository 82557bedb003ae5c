"""Server time of one label action on a large project.

``python -m benchmarks.label_latency --records 100000`` builds a project of that
many records in a temporary database (optionally with an active model whose
suggestions order the queue, and some labels already made), then repeats what
the Annotate page does for one key press:

* **action**: :func:`workbench.queue.decide` (append the label) +
  :func:`workbench.queue.next_item` (lease the next record);
* **panel**: the action plus everything the annotation fragment reads to draw
  the next record (suggestion, progress counts, records labelled in the last hour, the failed-retrain
  check, last 10 decisions).

It prints p50 / p95 / max in milliseconds for both. Target: p95 <= 150 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from workbench import progress
from workbench.queue import decide, next_item
from workbench.store import NewRecord, Store
from workbench.types import text_hash

WORDS = ("film plot actor scene music story slow funny dark brilliant boring cast script ending twist "
         "camera light score drama comedy director role dialogue pace visual").split()
LABELS = ["fresh", "rotten", "plot"]


def build(store: Store, n_records: int, *, suggestions: bool, prelabelled: int, seed: int = 0):
    """Create the benchmark project; return it (re-read, with its active model version)."""
    rng = random.Random(seed)
    project = store.create_project("bench", "classification", LABELS)
    batch: list[NewRecord] = []
    with store.atomic():
        for i in range(n_records):
            text = f"{i} " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
            batch.append(NewRecord(uid=text_hash(text), text=text, external_id=str(i)))
            if len(batch) == 5000:
                store.insert_records(project.id, batch)
                batch = []
        store.insert_records(project.id, batch)
    ids = [r.id for r in store.iter_records(project.id)]
    if suggestions:
        version = store.add_model_version(project, "logreg", LABELS)
        store.write_suggestions(project, version, (
            (rid, rng.choice(LABELS), rng.random(), rng.random(), None) for rid in ids))
        store.activate_model_version(project, version)
    with store.atomic():
        for rid in rng.sample(ids, min(prelabelled, len(ids))):
            store.annotate(project, rid, "seed", "label", rng.choice(LABELS))
    return store.get_project(project.id)


def measure(store: Store, project, actions: int, annotator: str = "bench", seed: int = 1) -> dict[str, list[float]]:
    """Time ``actions`` label actions; return per-action milliseconds for ``action`` and ``panel``."""
    rng = random.Random(seed)
    item = next_item(store, project, annotator)
    timings: dict[str, list[float]] = {"action": [], "panel": []}
    for _ in range(actions):
        if item is None:
            break
        t0 = time.perf_counter()
        decide(store, project, annotator, item, "label", rng.choice(LABELS))
        store.labels_since_last_model(project)  # the click's retrain check (services.training.maybe_retrain)
        item = next_item(store, project, annotator)
        t1 = time.perf_counter()
        if item is not None:
            store.suggestion(project, item.record.id)
        progress.labelled_count(store, project)
        progress.records_per_hour(store, project, annotator)
        store.latest_job(project, "train")  # the failed-retrain notice
        store.recent_annotations(project, annotator, limit=10)
        t2 = time.perf_counter()
        timings["action"].append((t1 - t0) * 1000)
        timings["panel"].append((t2 - t0) * 1000)
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.label_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--prelabelled", type=int, default=10_000, help="records labelled before timing starts")
    parser.add_argument("--no-suggestions", action="store_true", help="import order instead of the AL order")
    parser.add_argument("--db", help="database file (default: a temporary one, deleted afterwards)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.db"
        store = Store(path)
        t0 = time.perf_counter()
        project = build(store, args.records, suggestions=not args.no_suggestions, prelabelled=args.prelabelled)
        print(f"built {args.records:,} records ({'AL order' if not args.no_suggestions else 'import order'}, "
              f"{args.prelabelled:,} pre-labelled) in {time.perf_counter() - t0:.1f} s")
        timings = measure(store, project, args.actions)
        store.close()
    for name, values in timings.items():
        print(f"{name:>6}: n={len(values)} p50={statistics.median(values):.1f} ms "
              f"p95={percentile(values, 0.95):.1f} ms max={max(values):.1f} ms")
    p95 = percentile(timings["panel"], 0.95)
    print(f"target p95 <= 150 ms: {'met' if p95 <= 150 else 'NOT met'} (panel p95 {p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
