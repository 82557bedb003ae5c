"""Round latency: labels submitted -> new suggestions written and the queue ready.

``python -m benchmarks.active_learning latency`` (or ``python -m benchmarks.round_latency``)
runs it on a 10,000-record Movie reviews pool through the real store, training job and queue.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.data import cached_embeddings, movie_reviews
from services.embeddings import model_key
from services.evaluation import PRIMARY
from services.simulate import ORACLE
from services.training import JOB_KIND, start_training
from workbench.config import ProjectSettings
from workbench.errors import ValidationError
from workbench.queue import queue_preview
from workbench.store import NewRecord, Store
from workbench.types import text_hash


def latency_benchmark(*, records: int = 10_000, rounds: int = 10, batch: int = 10, strategy: str = "margin",
                      path: Path | None = None) -> dict[str, Any]:
    """Seconds from "a batch of labels is submitted" to "new suggestions written and queue ready".

    Builds a scratch store with ``records`` Movie reviews (embeddings from the
    benchmark cache), then per round: label the next ``batch`` queued records,
    run the training job synchronously (logreg) and fetch the next queue page.
    """
    texts, y, names = movie_reviews("3class", path)
    vectors = cached_embeddings(texts)[:records]
    texts, y = texts[:records], y[:records]
    workdir = Path(tempfile.mkdtemp(prefix="workbench-latency-"))
    try:
        store = Store(workdir / "latency.db")
        project = store.create_project("latency", "classification", names,
                                       settings=ProjectSettings(retrain_every=batch, strategy=strategy))
        with store.atomic():
            ids = store.insert_records(project.id, [NewRecord(uid=text_hash(t), text=t) for t in texts])
            key = model_key("minilm")
            store.put_vectors(key, {text_hash(t): v.astype(np.float32).tobytes() for t, v in zip(texts, vectors)})
        oracle = dict(zip(ids, (names[k] for k in y)))
        rng = np.random.default_rng(0)
        # 7 per class: past cold start, so every timed round is a logreg round
        seed = [ids[i] for c in range(len(names)) for i in rng.permutation(np.flatnonzero(y == c))[:7]]
        with store.atomic():
            for rid in seed:
                store.annotate(project, rid, ORACLE, "label", oracle[rid])
        timings = []
        for r in range(rounds + 1):
            project = store.get_project(project.id)
            if r:
                todo = queue_preview(store, project, ORACLE, batch)
                for rec in todo:  # one request per label, as the annotate page sends them
                    store.annotate(project, rec.id, ORACLE, "label", oracle[rec.id])
            t = time.perf_counter()
            job_id = start_training(store, project, wait=True, models_dir=workdir / "models")
            project = store.get_project(project.id)
            ready = queue_preview(store, project, ORACLE, batch)
            elapsed = time.perf_counter() - t
            if r:  # round 0 warms caches (imports, first SQLite pages), like a server that is already up
                timings.append(elapsed)
            if not ready or store.job(job_id)["status"] != "done":
                raise ValidationError(f"round {r}: the queue is empty or the job failed")
        n_versions = len(store.model_versions(project))
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    timings.sort()
    return {"records": len(texts), "rounds": rounds, "batch": batch, "strategy": strategy, "model": "logreg",
            "p50_s": round(statistics.median(timings), 3), "max_s": round(timings[-1], 3),
            "mean_s": round(statistics.mean(timings), 3), "model_versions": n_versions, "job_kind": JOB_KIND,
            "primary": PRIMARY["classification"]}


if __name__ == "__main__":
    print(json.dumps(latency_benchmark(), indent=2))
    sys.exit(0)
