"""Simulated active learning: reference labels play the annotator.

:func:`simulate` copies a project's reference-labelled records into a scratch
database, labels a random seed set, then repeats exactly what a live project
does — a training job (:func:`services.training.start_training`) followed by
the annotate queue (:func:`workbench.queue.queue_preview`) — answering each
queued record with its reference label, until the label budget is spent. The
user's project only receives the resulting rounds (``run`` = the simulation's
name), so its labels and model versions are untouched.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from services.active_learning import get_strategy
from services.evaluation import evaluate
from services.training import build_adapter, eval_split, predict, start_training
from workbench.config import ProjectSettings
from workbench.errors import ValidationError
from workbench.queue import queue_preview
from workbench.store import NewRecord, Store

ORACLE = "oracle"


def _check(seed_size: int, batch: int, budget: int, test_split: float) -> None:
    for name, value in (("seed_size", seed_size), ("batch", batch), ("budget", budget)):
        if not isinstance(value, int) or value < 1:
            raise ValidationError(f"{name} must be a positive integer, got {value!r}")
    if budget < seed_size:
        raise ValidationError(f"budget ({budget}) must be at least the seed size ({seed_size})")
    if not 0.0 < test_split < 1.0:
        raise ValidationError(f"test_split must be between 0 and 1, got {test_split!r}")


def run_name(strategy: str, adapter: str, seed: int) -> str:
    return f"sim:{strategy}:{adapter}:seed{seed}"


def _scratch_copy(store, source, workdir: Path, *, adapter: str, strategy: str, batch: int, seed: int,
                  test_split: float) -> tuple[Store, Any, dict[int, Any], list[int]]:
    """Copy reference-labelled records, their references and cached embeddings into a scratch DB."""
    refs = store.reference_labels(source.id)
    if len(refs) < 4:
        raise ValidationError(f"project {source.name!r} has {len(refs)} reference labels; a simulation needs the "
                              "reference labels as its oracle: import a labelled file first")
    records = store.get_records(sorted(refs))
    has_test = any(r.split == "test" for r in records)
    rng = np.random.default_rng(seed)
    if not has_test:  # a seeded random held-out share, the same for every strategy of this seed
        test_mask = np.zeros(len(records), dtype=bool)
        test_mask[rng.permutation(len(records))[: int(round(test_split * len(records)))]] = True
    scratch = Store(workdir / "simulation.db")
    settings = ProjectSettings(retrain_every=batch, adapter=adapter, strategy=strategy,
                               encoder=source.settings.encoder, base_model=source.settings.base_model)
    project = scratch.create_project(source.name, source.task, source.labels, settings=settings)
    new = [NewRecord(uid=r.uid, text=r.text, external_id=str(r.id),
                     split=r.split if has_test else ("test" if test_mask[i] else "train"))
           for i, r in enumerate(records)]
    with scratch.atomic():
        ids = scratch.insert_records(project.id, new)
        scratch.set_reference_labels(project.id, [(i, refs[r.id]) for i, r in zip(ids, records)])
    if source.task != "ner":
        # Encode once in the user's store (cached there for good), then share the vectors.
        from services.embeddings import embed, model_key

        embed([r.text for r in records] + list(source.labels), encoder=source.settings.encoder, store=store)
        scratch.copy_vectors_from(store.path, model_key(source.settings.encoder))
    pool = [i for i, rec in zip(ids, new) if rec.split != "test"]
    oracle = {i: refs[r.id] for i, r in zip(ids, records)}
    return scratch, project, oracle, pool


def _point(task: str, n_labels: int, metrics: dict, train_seconds: float) -> dict[str, Any]:
    point = {"labels": n_labels, "train_seconds": round(train_seconds, 4)}
    if task == "classification":
        point.update(accuracy=metrics.get("accuracy"), macro_f1=metrics.get("macro_f1"))
    elif task == "multilabel":
        point.update(accuracy=metrics.get("accuracy"), micro_f1=metrics.get("micro_f1"),
                     macro_f1=metrics.get("macro_f1"))
    else:
        point.update(f1=metrics.get("f1"), precision=metrics.get("precision"), recall=metrics.get("recall"))
    return point


def _full_pool(scratch, project, oracle: dict[int, Any], pool: list[int]) -> dict[str, Any]:
    """Metrics of the same model trained on every pool reference label (the ceiling)."""
    evalset = eval_split(scratch, project)
    recs = scratch.get_records(pool)
    adapter = build_adapter(project.settings.adapter, project, scratch)
    adapter.fit([r.text for r in recs], [oracle[r.id] for r in recs])
    predicted = predict(adapter, project, evalset.texts)[1]
    m = evaluate(project.task, project.labels, evalset.values, predicted, evalset.texts)
    return {k: v for k, v in m.items() if k not in ("per_class", "primary")}


def simulate(store, name: str, *, strategy: str = "margin", adapter: str = "logreg", seed_size: int = 20,
             batch: int = 20, budget: int = 500, seed: int = 0, test_split: float = 0.25, run: str | None = None,
             full_pool: bool = True, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one simulated active-learning loop on project ``name``.

    Parameters
    ----------
    strategy, adapter : str
        Query strategy and what is trained, as a live project would use them.
    seed_size : int
        Randomly chosen labels before the first model.
    batch : int
        Labels per round (the project's ``retrain_every`` in the simulation).
    budget : int
        Stop once this many labels are used.
    test_split : float
        Held-out share of reference-labelled records (unless the project has
        ``split == 'test'`` records, which are used instead).

    Returns
    -------
    dict
        ``{"run", "strategy", "adapter", "seed", "curve": [{"labels", "accuracy",
        "macro_f1", "train_seconds"}...], "full_pool": {...}, "seconds"}``; NER
        curves carry ``f1`` / ``precision`` / ``recall`` instead.
    """
    _check(seed_size, batch, budget, test_split)
    get_strategy(strategy)
    source = store.get_project(name)
    run = run or run_name(strategy, adapter, seed)
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="workbench-sim-"))
    try:
        scratch, project, oracle, pool = _scratch_copy(store, source, workdir, adapter=adapter, strategy=strategy,
                                                       batch=batch, seed=seed, test_split=test_split)
        budget = min(budget, len(pool))
        curve, rounds = _run_rounds(scratch, project, oracle, pool, run=run, seed=seed, seed_size=seed_size,
                                    batch=batch, budget=budget, models_dir=workdir / "models", say=say)
        ceiling = _full_pool(scratch, project, oracle, pool) if full_pool else None
        scratch.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with store.atomic():
        store.delete_rounds(source, run)
        for n, metrics in rounds:
            store.add_round(source, strategy, n, metrics, run=run)
    return {"run": run, "strategy": strategy, "adapter": adapter, "seed": seed, "curve": curve, "full_pool": ceiling,
            "seconds": round(time.perf_counter() - t0, 2)}


def _run_rounds(scratch, project, oracle: dict[int, Any], pool: list[int], *, run: str, seed: int, seed_size: int,
                batch: int, budget: int, models_dir: Path, say: Callable[[str], None]):
    """Label a random seed set, then train -> queue -> answer with the oracle until the budget is spent."""
    rng = np.random.default_rng(seed + 1000)
    first = [pool[i] for i in rng.permutation(len(pool))[: min(seed_size, budget)]]
    with scratch.atomic():
        for rid in first:
            scratch.annotate(project, rid, ORACLE, "label", oracle[rid])
    n_labels, curve, rounds = len(first), [], []
    while True:
        job_id = start_training(scratch, project, wait=True, run=run, models_dir=models_dir)
        result = scratch.job(job_id)["result"]
        curve.append(_point(project.task, n_labels, result["metrics"], result["train_seconds"]))
        rounds.append((n_labels, result["metrics"]))
        say(f"{run}: {n_labels} labels -> {curve[-1]}")
        if n_labels >= budget:
            break
        project = scratch.get_project(project.id)
        todo = queue_preview(scratch, project, ORACLE, min(batch, budget - n_labels))
        if not todo:
            break
        with scratch.atomic():
            for rec in todo:
                scratch.annotate(project, rec.id, ORACLE, "label", oracle[rec.id])
        n_labels += len(todo)
    return curve, rounds


def curve_area(curve: list[dict[str, Any]], metric: str = "accuracy") -> float:
    """Trapezoid area under metric-vs-labels divided by the label range (mean metric over the curve)."""
    pts = [(p["labels"], p[metric]) for p in curve if p.get(metric) is not None]
    if len(pts) < 2:
        return float(pts[0][1]) if pts else 0.0
    x, y = np.array(pts, dtype=float).T
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2) / (x[-1] - x[0]))
