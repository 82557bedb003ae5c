"""First round on a fresh project: from import to a ranked queue, then the round after 10 labels.

``python -m benchmarks.first_round [--records N] [--compare-full]`` imports the Movie reviews
sample into a scratch database with an empty embedding cache and times, through the real
store, jobs and queue:

1. the first-order job (:func:`services.training.start_first_order`, what the Annotate page
   starts before any label): seconds until its cold-start suggestions are written and the queue
   is ranked (``first_suggestions_s``), and until it has also encoded the rest of the pool
   (``job_s``);
2. ten labels from that queue (reference labels answer), then a training round on them
   (``next_round_s``, every vector cached by then; ``next_round_adapter`` says whether it was
   still a cold start).
3. with ``--model-rounds N``: up to N more rounds of ten labels each, until a round's model reads
   the stronger encoder's vectors (``model_encoder: auto``, mpnet when it is fetched): each round's
   labels, seconds until its suggestions were written (``suggestions_s``) and until its job ended
   (``seconds``, encoding ahead included), adapter and the encoder its model read (``model_rounds``).
   This is what encoding ahead (``services.training.features``) costs a project on a CPU, and when it
   pays off.

``--compare-full`` runs, in the same process and on a second fresh database, the round as it was
before the cold-start sample: one cold-start round that encodes the whole pool and held-out
set before writing anything (the reference for step 1). ``--encoders minilm,minilm-int8`` repeats
the sampled run once per encoder (project setting ``encoder``), each on its own fresh database, in
the order given.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.data import MOVIE_CSV
from services.simulate import ORACLE
from services.training import start_first_order, start_training
from workbench import jobs
from workbench.io import import_file
from workbench.queue import queue_preview
from workbench.store import Store


def _fresh_project(workdir: Path, records: int, encoder: str = "minilm"):
    import dataclasses

    import pandas as pd

    csv = workdir / "movies.csv"
    pd.read_csv(MOVIE_CSV).head(records).to_csv(csv, index=False)
    store = Store(workdir / "first.db")
    import_file(store, "Movie reviews", csv, task="classification", labels=["fresh", "rotten", "plot"],
                text_col="text", label_col="label")
    project = store.get_project("Movie reviews")
    return store, store.update_project(project, settings=dataclasses.replace(project.settings, encoder=encoder))


def _label_next(store, project) -> None:
    """The next ``retrain_every`` records of the queue, answered with their reference labels."""
    refs = store.reference_labels(project.id)
    for rec in queue_preview(store, project, ORACLE, project.settings.retrain_every):
        store.annotate(project, rec.id, ORACLE, "label", refs[rec.id])


def _timed_round(store, project) -> dict[str, Any]:
    t = time.perf_counter()
    job = jobs.wait_for(store, start_training(store, store.get_project(project.id)), timeout=7200)
    if job["status"] != "done":
        raise SystemExit(f"a training round failed: {job['error']}")
    return {"labels": job["result"]["n_labels"], "seconds": round(time.perf_counter() - t, 2),
            "suggestions_s": round(job["result"]["first_suggestions_seconds"], 2),
            "adapter": job["result"]["adapter"], "model_encoder": job["result"].get("model_encoder")}


def model_rounds(store, project, limit: int) -> list[dict[str, Any]]:
    """Rounds of ``retrain_every`` labels until the model reads the stronger encoder (at most ``limit``)."""
    from services.training.features import wanted_encoder

    stronger = wanted_encoder(store.get_project(project.id), project.settings.adapter)
    out: list[dict[str, Any]] = []
    while len(out) < limit and not (out and out[-1]["model_encoder"] == stronger):
        _label_next(store, store.get_project(project.id))
        out.append(_timed_round(store, project))
    return out


def first_round(records: int, *, full: bool = False, encoder: str = "minilm", rounds: int = 0) -> dict[str, Any]:
    """Timings of one fresh project (``full``: the whole pool in the cold-start sample, as before)."""
    cold = importlib.import_module("services.active_learning.cold_start")
    saved = cold.COLD_START_SAMPLE
    workdir = Path(tempfile.mkdtemp(prefix="workbench-first-"))
    try:
        if full:
            cold.COLD_START_SAMPLE = 10 ** 9
        store, project = _fresh_project(workdir, records, encoder)
        t = time.perf_counter()
        job = jobs.wait_for(store, start_first_order(store, project))
        if job["status"] != "done":
            raise SystemExit(f"the first-order job failed: {job['error']}")
        result = job["result"]
        out = {"records": store.count_records(project.id), "first_suggestions_s": result["first_suggestions_seconds"],
               "job_s": time.perf_counter() - t, "scored_first": result["pool"]}
        if not full:
            _label_next(store, store.get_project(project.id))
            nxt = _timed_round(store, project)
            out.update(next_round_s=nxt["seconds"], next_round_adapter=nxt["adapter"])
            if rounds:
                out["model_rounds"] = model_rounds(store, project, rounds)
        store.close()
        return out
    finally:
        cold.COLD_START_SAMPLE = saved
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    p = argparse.ArgumentParser(prog="python -m benchmarks.first_round", description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=100_000, help="first N rows of the sample (default: all)")
    p.add_argument("--compare-full", action="store_true", help="also time the whole-pool first round")
    p.add_argument("--encoders", default="minilm", help="comma-separated encoders; one sampled run each")
    p.add_argument("--model-rounds", type=int, default=0,
                   help="then up to N rounds of 10 labels until the model reads the stronger encoder")
    args = p.parse_args(argv)
    encoders = [e.strip() for e in args.encoders.split(",") if e.strip()]
    report = {("sampled" if e == "minilm" else f"sampled_{e}"): first_round(args.records, encoder=e,
                                                                            rounds=args.model_rounds)
              for e in encoders}
    if args.compare_full:
        report["whole_pool"] = first_round(args.records, full=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
