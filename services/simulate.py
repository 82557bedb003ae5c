"""Simulated active learning: reference labels play the annotator.

:func:`simulate` copies a project's reference-labelled records into a scratch
database and chooses the first labels the way ``seeding`` says: ``"cold"`` as a
live project does (the cold-start round before any label, then the head of its
queue) or ``"random"`` (a random seed set, the reference of the benchmarks). Then
it repeats exactly what a live project does — a training job
(:func:`services.training.start_training`) followed by the annotate queue
(:func:`workbench.queue.queue_preview`) — answering each queued record with its
reference label, until the label budget is spent. The user's project only
receives the resulting rounds (``run`` = the simulation's name), so its labels
and model versions are untouched.
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
from services.embeddings import embed, model_key
from services.evaluation import evaluate
from services.training import build_adapter, eval_split, predict, start_first_order, start_training
from services.training.features import wanted_encoder
from workbench.config import ProjectSettings
from workbench.errors import ValidationError
from workbench.queue import queue_preview
from workbench.registry import one_of
from workbench.store import NewRecord, Store

ORACLE = "oracle"
#: how the first labels are chosen: as the live queue does (the cold-start round), or at random
SEEDINGS = ("cold", "random")
#: what a comparison run takes for each part of the pipeline it does not name: the yardstick of the
#: benchmarks (a random seed set, margin, plain ``logreg``); a run that names none simulates the project
REFERENCE = {"seeding": "random", "strategy": "margin", "adapter": "logreg"}


def _check(seed_size: int, batch: int, budget: int, test_split: float) -> None:
    for name, value in (("seed_size", seed_size), ("batch", batch), ("budget", budget)):
        if not isinstance(value, int) or value < 1:
            raise ValidationError(f"{name} must be a positive integer, got {value!r}")
    if budget < seed_size:
        raise ValidationError(f"budget ({budget}) must be at least the seed size ({seed_size})")
    if not 0.0 < test_split < 1.0:
        raise ValidationError(f"test_split must be between 0 and 1, got {test_split!r}")


def run_name(strategy: str, adapter: str, seed: int, seeding: str = "random") -> str:
    return f"sim:{strategy}:{adapter}:seed{seed}" + ("" if seeding == "random" else f":{seeding}")


def pipeline(project, *, seeding: str | None = None, strategy: str | None = None,
             adapter: str | None = None) -> dict[str, str]:
    """What a simulation runs: with no part named, the project's own pipeline (the live cold start, its
    adapter and strategy); with any part named, a comparison run whose other parts are :data:`REFERENCE`'s.

    So ``simulate NAME`` measures what the project does, ``--strategy random`` the random yardstick and
    ``--strategy margin`` margin with plain ``logreg`` from a random seed set, the same in every project.
    """
    named = {"seeding": seeding, "strategy": strategy, "adapter": adapter}
    if all(v is None for v in named.values()):
        return {"seeding": "cold", "strategy": project.settings.strategy, "adapter": project.settings.adapter}
    out = {k: v if v is not None else REFERENCE[k] for k, v in named.items()}
    one_of(out["seeding"], SEEDINGS, "seeding")
    return out


def _scratch_copy(store, source, workdir: Path, *, adapter: str, strategy: str, seed: int,
                  test_split: float, say: Callable[[str], None]) -> tuple[Store, Any, dict[int, Any], list[int]]:
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
    # the source's retrain_every until the first labels: a cold-start round then leads the queue with as many
    # picks as the live one (``_Rounds.run`` switches to ``batch`` labels per round)
    settings = ProjectSettings(retrain_every=source.settings.retrain_every, adapter=adapter, strategy=strategy,
                               encoder=source.settings.encoder, base_model=source.settings.base_model,
                               model_encoder=source.settings.model_encoder,
                               ner_uncertainty=source.settings.ner_uncertainty)
    project = scratch.create_project(source.name, source.task, source.labels, settings=settings)
    new = [NewRecord(uid=r.uid, text=r.text, external_id=str(r.id),
                     split=r.split if has_test else ("test" if test_mask[i] else "train"))
           for i, r in enumerate(records)]
    with scratch.atomic():
        ids = scratch.insert_records(project.id, new)
        scratch.set_reference_labels(project.id, [(i, refs[r.id]) for i, r in zip(ids, records)])
    if source.task != "ner":
        # Encode once in the user's store (cached there for good), then share the vectors: the project
        # encoder's, and the stronger encoder's when the model reads it (every text has its vector from the
        # start, as in a live project once its first rounds have encoded ahead: services.training.features)
        for encoder in filter(None, (source.settings.encoder, wanted_encoder(project, adapter))):
            embed([r.text for r in records] + list(source.labels), encoder=encoder, store=store,
                  progress=lambda fraction, message, encoder=encoder: say(f"{encoder}: {message}"))
            scratch.copy_vectors_from(store.path, model_key(encoder))
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
    # the vectors the curve's models read (every one is cached in the scratch copy)
    adapter = build_adapter(project.settings.adapter, project, scratch,
                            wanted_encoder(project, project.settings.adapter))
    adapter.fit([r.text for r in recs], [oracle[r.id] for r in recs])
    predicted = predict(adapter, project, evalset.texts)[1]
    m = evaluate(project.task, project.labels, evalset.values, predicted, evalset.texts)
    return {k: v for k, v in m.items() if k not in ("per_class", "primary")}


def simulate(store, name: str, *, strategy: str | None = None, adapter: str | None = None,
             seeding: str | None = None, seed_size: int = 20, batch: int = 20, budget: int = 500, seed: int = 0,
             test_split: float = 0.25, run: str | None = None, full_pool: bool = True,
             log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one simulated active-learning loop on project ``name``.

    Parameters
    ----------
    strategy, adapter, seeding : str or None
        Query strategy, what is trained, and how the first ``seed_size`` labels are chosen (``"cold"``:
        the live cold-start queue; ``"random"``: a random draw). All None: the project's own pipeline;
        else the ones not given take :data:`REFERENCE`'s values (see :func:`pipeline`).
    seed_size : int
        Labels before the first model: the cold-start queue's first records, or random ones.
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
        ``{"run", "strategy", "adapter", "seeding", "seed", "curve": [{"labels", "accuracy",
        "macro_f1", "train_seconds"}...], "full_pool": {...}, "first", "model_encoder", "seconds"}``; NER
        curves carry ``f1`` / ``precision`` / ``recall`` instead. The curve starts at ``seed_size`` labels;
        ``first`` are the project's record ids labelled first, ``model_encoder`` whose vectors the last
        model read.
    """
    _check(seed_size, batch, budget, test_split)
    source = store.get_project(name)
    chosen = pipeline(source, seeding=seeding, strategy=strategy, adapter=adapter)
    get_strategy(chosen["strategy"])
    run = run or run_name(chosen["strategy"], chosen["adapter"], seed, chosen["seeding"])
    say = log or (lambda msg: None)
    t0 = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="workbench-sim-"))
    try:
        scratch, project, oracle, pool = _scratch_copy(store, source, workdir, adapter=chosen["adapter"],
                                                       strategy=chosen["strategy"], seed=seed,
                                                       test_split=test_split, say=say)
        budget = min(budget, len(pool))
        rounds = _Rounds(scratch, oracle, run=run, models_dir=workdir / "models", say=say)
        first = (rounds.cold_start_picks(project, min(seed_size, budget)) if chosen["seeding"] == "cold" else
                 [pool[i] for i in np.random.default_rng(seed + 1000).permutation(len(pool))[: min(seed_size, budget)]])
        curve, done = rounds.run(project, first, batch=batch, budget=budget)
        first_ids = [int(r.external_id) for r in scratch.get_records(first)]
        ceiling = _full_pool(scratch, project, oracle, pool) if full_pool else None
        scratch.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    with store.atomic():
        store.delete_rounds(source, run)
        for n, metrics in done:
            store.add_round(source, chosen["strategy"], n, metrics, run=run)
    return {"run": run, **chosen, "seed": seed, "curve": curve, "full_pool": ceiling, "first": first_ids,
            "model_encoder": rounds.model_encoder, "seconds": round(time.perf_counter() - t0, 2)}


class _Rounds:
    """The loop of a simulation: label, train (a real job), queue, answer with the oracle."""

    def __init__(self, scratch, oracle: dict[int, Any], *, run: str, models_dir: Path, say: Callable[[str], None]):
        self.scratch, self.oracle, self.run_name, self.models_dir, self.say = scratch, oracle, run, models_dir, say
        self.model_encoder: str | None = None  # whose vectors the last round's model read

    def _train(self, project) -> dict[str, Any]:
        job_id = start_training(self.scratch, project, wait=True, run=self.run_name, models_dir=self.models_dir)
        return self.scratch.job(job_id)["result"]

    def cold_start_picks(self, project, n: int) -> list[int]:
        """The first ``n`` records of the queue a live project serves before its first label: the cold-start
        round's (one record per cluster of a sample) where the live queue runs one
        (:func:`services.training.start_first_order`), else import order. Not a point of the curve."""
        start_first_order(self.scratch, project, wait=True, run=self.run_name, models_dir=self.models_dir)
        return [rec.id for rec in queue_preview(self.scratch, self.scratch.get_project(project.id), ORACLE, n)]

    def _answer(self, project, ids: list[int]) -> None:
        with self.scratch.atomic():
            for rid in ids:
                self.scratch.annotate(project, rid, ORACLE, "label", self.oracle[rid])

    def run(self, project, first: list[int], *, batch: int, budget: int):
        """Label ``first``, then train -> queue -> answer until ``budget`` labels; (curve, [(labels, metrics)])."""
        settings = ProjectSettings.from_dict({**project.settings.to_dict(), "retrain_every": batch})
        project = self.scratch.update_project(project, settings=settings)
        self._answer(project, first)
        n_labels, curve, rounds = len(first), [], []
        while True:
            result = self._train(project)
            self.model_encoder = result.get("model_encoder")
            curve.append(_point(project.task, n_labels, result["metrics"], result["train_seconds"]))
            rounds.append((n_labels, result["metrics"]))
            self.say(f"{self.run_name}: {n_labels} labels -> {curve[-1]}")
            if n_labels >= budget:
                break
            project = self.scratch.get_project(project.id)
            todo = queue_preview(self.scratch, project, ORACLE, min(batch, budget - n_labels))
            if not todo:
                break
            self._answer(project, [rec.id for rec in todo])
            n_labels += len(todo)
        return curve, rounds


def curve_area(curve: list[dict[str, Any]], metric: str = "accuracy") -> float:
    """Trapezoid area under metric-vs-labels divided by the label range (mean metric over the curve)."""
    pts = [(p["labels"], p[metric]) for p in curve if p.get(metric) is not None]
    if len(pts) < 2:
        return float(pts[0][1]) if pts else 0.0
    x, y = np.array(pts, dtype=float).T
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2) / (x[-1] - x[0]))
