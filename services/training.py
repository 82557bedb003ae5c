"""Background retraining: train, evaluate, re-rank the pool, swap the model in.

One *round* (:func:`train_round`) is what both the UI (through a background
job) and the simulation run:

1. take the current human labels (excluded records and the held-out
   evaluation set never train);
2. fit a fresh adapter of the project's model (or, in cold start, fall back
   to zero-shot suggestions and diverse KMeans picks);
3. evaluate on the held-out reference labels (:func:`eval_split`);
4. predict the unlabelled pool and score it with the project's query strategy;
5. write the suggestions of a new model version, record a round and make the
   version active in one transaction.

A job that raises leaves the previous version active and deletes its own
half-made version; labels are never touched. The ``jobs`` table carries
progress and errors, and :meth:`Store.create_job` refuses a second training
of the same project while one is queued or running.
"""

from __future__ import annotations

import inspect
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services import active_learning as al
from services.evaluation import evaluate
from workbench.config import models_dir_for
from workbench.errors import ConflictError, JobError, ValidationError, WorkbenchError
from workbench.store import Store

log = logging.getLogger(__name__)

JOB_KIND = "train"
ZERO_SHOT = "zero_shot"  # adapter name recorded for cold-start versions
EVAL_SHARE_MOD = 5  # hash-based held-out share: 1 in 5 reference-labelled records
PROBS_DECIMALS = 4


# -- what trains, what evaluates, what is the pool -------------------------------------

@dataclass
class Rows:
    """Parallel lists of record ids, texts and (for labelled sets) label values."""

    ids: list[int]
    texts: list[str]
    values: list[Any]

    def __len__(self) -> int:
        return len(self.ids)


def eval_ids(store, project) -> set[int]:
    """Held-out record ids: ``split == 'test'`` records with a reference label if any exist,
    else a deterministic hash-based 20% of the reference-labelled records."""
    test = store.query(
        "SELECT r.id FROM records r JOIN reference_labels l ON l.record_id = r.id"
        " WHERE r.project_id = ? AND r.split = 'test'", (project.id,))
    if test:
        return {r["id"] for r in test}
    rows = store.query(
        "SELECT r.id, r.uid FROM records r JOIN reference_labels l ON l.record_id = r.id WHERE r.project_id = ?",
        (project.id,))
    # uid is a content hash, so membership does not change when records are added
    return {r["id"] for r in rows if int(r["uid"][:8], 16) % EVAL_SHARE_MOD == 0}


def eval_split(store, project, held_out: set[int] | None = None) -> Rows:
    """Held-out records with their reference labels (never trained on)."""
    held_out = eval_ids(store, project) if held_out is None else held_out
    refs = store.reference_labels(project.id, sorted(held_out)) if held_out else {}
    recs = store.get_records(sorted(refs))
    return Rows([r.id for r in recs], [r.text for r in recs], [refs[r.id] for r in recs])


def training_rows(store, project, held_out: set[int]) -> Rows:
    """Current human labels of non-excluded records outside the held-out set."""
    ids, texts, values = [], [], []
    for rec in store.iter_records(project.id, where="status = 'labelled' AND excluded = 0"):
        if rec.id not in held_out:
            ids.append(rec.id)
            texts.append(rec.text)
            values.append(rec.label)
    return Rows(ids, texts, values)


def pool_rows(store, project, held_out: set[int]) -> Rows:
    """Records that may be suggested and queued: not labelled, not excluded, not held out."""
    ids, texts = [], []
    for row in store.query("SELECT id, text FROM records WHERE project_id = ? AND status != 'labelled'"
                           " AND excluded = 0 ORDER BY id", (project.id,)):
        if row["id"] not in held_out:
            ids.append(row["id"])
            texts.append(row["text"])
    return Rows(ids, texts, [None] * len(ids))


def label_counts(project, values: list[Any]) -> dict[str, int]:
    counts = {label: 0 for label in project.labels}
    for v in values:
        if project.task == "classification":
            counts[v] = counts.get(v, 0) + 1
        elif project.task == "multilabel":
            for label in v:
                counts[label] = counts.get(label, 0) + 1
    return counts


def in_cold_start(project, rows: Rows) -> bool:
    """Classification: some class has fewer than 2 labels; other tasks: fewer than 2 labelled records."""
    if project.task == "classification":
        return al.needs_cold_start(label_counts(project, rows.values), project.labels)
    return len(rows) < 2


# -- staleness and policy ---------------------------------------------------------------

def labels_since_training(store, project) -> int:
    """Label decisions made since the latest model version or failed training (see the store)."""
    return store.labels_since_last_model(project, JOB_KIND)


def maybe_retrain(store, project, **kwargs: Any) -> int | None:
    """Start a background training when ``retrain_every`` new labels arrived; return the job id or None.

    Never raises for a training already running (that one will pick the labels up next time).
    """
    every = project.settings.retrain_every
    if every <= 0 or labels_since_training(store, project) < every:
        return None
    try:
        return start_training(store, project, **kwargs)
    except ConflictError:
        return None


def start_training(store, project, *, model: str | None = None, strategy: str | None = None,
                   run: str = "live", wait: bool = False, models_dir: str | Path | None = None) -> int:
    """Queue a training job of ``project`` and run it (in a background thread unless ``wait``).

    Returns
    -------
    int
        The job id; poll it with ``store.job(id)``.

    Raises
    ------
    ConflictError
        A training of this project is already queued or running.
    JobError
        ``wait=True`` and the job failed (the previous version stays active).
    """
    params = {"model": model or project.settings.model, "strategy": strategy or project.settings.strategy,
              "run": run, "models_dir": str(models_dir) if models_dir else None}
    al.get_strategy(params["strategy"])  # fail before queueing on a bad name
    job_id = store.create_job(project, JOB_KIND, params)
    if wait:
        run_training_job(store.path, project.name, job_id)
    else:
        threading.Thread(target=_run_quietly, args=(str(store.path), project.name, job_id),
                         name=f"train-{project.id}-{job_id}", daemon=True).start()
    return job_id


def launch_process(store, project, *, model: str | None = None, strategy: str | None = None) -> int:
    """Queue a training job and run it in a detached process (survives the caller, e.g. the CLI)."""
    import subprocess
    import sys

    params = {"model": model or project.settings.model, "strategy": strategy or project.settings.strategy,
              "run": "live", "models_dir": None}
    al.get_strategy(params["strategy"])
    job_id = store.create_job(project, JOB_KIND, params)
    subprocess.Popen([sys.executable, "-m", "services.training", str(store.path), project.name, str(job_id)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return job_id


def _run_quietly(db_path: str, project_name: str, job_id: int) -> None:
    try:
        run_training_job(db_path, project_name, job_id)
    except JobError:
        pass  # recorded in the jobs table; the UI shows it
    except Exception:  # noqa: BLE001 - a worker thread must never die silently
        log.exception("training job %s crashed", job_id)


def run_training_job(db_path, project_name: str, job_id: int) -> dict[str, Any]:
    """Run a queued training job synchronously with its own store connection.

    Returns the job result (``model_version_id``, ``metrics``...). Any failure
    is written to the job row and re-raised as :class:`JobError`.
    """
    store = Store(db_path)
    try:
        project = store.get_project(project_name)
        job = store.job(job_id)
        store.start_job(job_id)
        params = job["params"] or {}
        try:
            result = train_round(
                store, project, model=params.get("model"), strategy=params.get("strategy"),
                run=params.get("run") or "live", models_dir=params.get("models_dir"),
                progress=lambda p, msg: store.update_job(job_id, p, msg))
        except Exception as exc:
            message = str(exc) if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
            store.fail_job(job_id, message)
            raise JobError(f"training failed: {message}; the previous model version stays active") from exc
        store.finish_job(job_id, result)
        return result
    finally:
        store.close()


# -- one round ------------------------------------------------------------------------------

def _build_adapter(name: str, project, store, encoder: str):
    import services.models  # noqa: F401  (registers the built-in adapters)
    from services.models.base import ADAPTERS, get_adapter

    if name not in ADAPTERS:
        raise ValidationError(f"unknown model {name!r}; valid models: {', '.join(sorted(ADAPTERS))}")
    factory = ADAPTERS[name]
    params = inspect.signature(factory).parameters
    config: dict[str, Any] = {}
    if "store" in params:
        config["store"] = store  # embedding cache
    config["model"] = encoder
    return get_adapter(name, project.task, project.labels, **config)


def _fit(adapter, texts, values, progress) -> None:
    if "progress" in inspect.signature(adapter.fit).parameters:
        adapter.fit(texts, values, progress=lambda done, total: progress(0.1 + 0.5 * done / max(total, 1),
                                                                          f"training {done}/{total}"))
    else:
        adapter.fit(texts, values)


def _predict(adapter, project, texts: list[str], emb: np.ndarray | None):
    """(probabilities for scoring, predicted values, confidences) for ``texts``."""
    if not texts:
        return np.zeros((0, max(len(project.labels), 2))), [], np.zeros(0)
    if project.task == "ner":
        token_probs = adapter.predict_proba(texts)
        spans = adapter.predict_spans(texts) if hasattr(adapter, "predict_spans") else [[] for _ in texts]
        probs = al.sentence_probs(token_probs)
        return probs, spans, probs[:, 0]
    if emb is not None and hasattr(adapter, "predict_proba_embeddings"):
        probs = np.asarray(adapter.predict_proba_embeddings(emb))
    else:
        probs = np.asarray(adapter.predict_proba(texts))
    return probs, *decode(project, probs)


def decode(project, probs: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Label values and confidences from (N, K) probabilities (multilabel threshold 0.5)."""
    if project.task == "multilabel":
        values = [[project.labels[k] for k in np.flatnonzero(row >= 0.5)] for row in probs]
        return values, np.abs(2 * probs - 1).min(axis=1) / 2 + 0.5
    top = probs.argmax(axis=1)
    return [project.labels[k] for k in top], probs.max(axis=1)


def _embed(store, texts: list[str], encoder: str, progress=None, span: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Cached sentence vectors; ``progress(fraction, message)`` moves across ``span`` while
    texts not yet cached are encoded (the first round of a large project spends minutes here)."""
    from services.embeddings import embed

    cached_at_start: int | None = None

    def report(done: int, total: int) -> None:
        nonlocal cached_at_start
        if cached_at_start is None:
            cached_at_start = done  # embed's first call: how many came from the cache
        if progress is not None and cached_at_start < total:
            progress(span[0] + (span[1] - span[0]) * done / total, f"embedding texts ({done:,}/{total:,}, cached after)")

    return embed(texts, model=encoder, store=store, progress=report)


def train_round(store, project, *, model: str | None = None, strategy: str | None = None, run: str = "live",
                models_dir: str | Path | None = None, head: int | None = None,
                progress=None) -> dict[str, Any]:
    """Train, evaluate, score the pool and activate a new model version (see module docstring).

    Parameters
    ----------
    model, strategy : str, optional
        Adapter and query strategy; default to the project's settings.
    run : str
        Name of the curve the round belongs to (``"live"`` for real labelling).
    models_dir : path, optional
        Root for saved weights (default ``data/models``); a version is saved
        under ``<models_dir>/<project id>/<version id>/``.
    head : int, optional
        How many picks of the strategy's batch selection lead the queue
        (default ``max(2 * retrain_every, 20)``).
    progress : callable(fraction, message), optional

    Returns
    -------
    dict
        ``model_version_id``, ``n_labels``, ``metrics``, ``train_seconds``,
        ``pool``, ``cold_start``, ``seconds``.
    """
    t_start = time.perf_counter()
    progress = progress or (lambda p, m: None)
    settings = project.settings
    model = model or settings.model
    strategy = strategy or settings.strategy
    spec = al.get_strategy(strategy)
    head = head or max(2 * settings.retrain_every, 20)
    progress(0.02, "reading labels")
    held_out = eval_ids(store, project)
    train = training_rows(store, project, held_out)
    if not len(train):
        raise ValidationError("there are no human labels to train on yet; label a few records first")
    pool = pool_rows(store, project, held_out)
    evalset = eval_split(store, project, held_out)
    cold = in_cold_start(project, train)
    # diversity-aware strategies need sentence vectors for every task (NER included);
    # cold start and logreg only use them for classification / multilabel
    needs_pool_emb = spec.needs_embeddings or (project.task != "ner" and (cold or model == "logreg"))
    pool_emb = (_embed(store, pool.texts, settings.encoder, progress, (0.02, 0.1))
                if needs_pool_emb and len(pool) else None)

    adapter, train_seconds = None, 0.0
    if cold:
        progress(0.3, "cold start: zero-shot suggestions and diverse picks")
        adapter_name = ZERO_SHOT
        values, conf, scores, eval_pred = _cold_start(store, project, pool, pool_emb, evalset, head)
    else:
        adapter_name = model
        progress(0.1, f"training {model} on {len(train)} labels")
        adapter = _build_adapter(model, project, store, settings.encoder)
        t = time.perf_counter()
        _fit(adapter, train.texts, train.values, progress)
        train_seconds = time.perf_counter() - t
        progress(0.65, "evaluating")
        eval_pred = _predict(adapter, project, evalset.texts, None)[1] if len(evalset) else []
        progress(0.75, f"predicting {len(pool)} pool records")
        probs, values, conf = _predict(adapter, project, pool.texts, pool_emb)
        scores = np.zeros(0)
        if len(pool):
            labelled_emb = None
            if spec.name == "margin_kcenter":
                labelled_emb = _embed(store, train.texts, settings.encoder)
            scores = al.queue_scores(strategy, probs, head=min(head, len(pool)), embeddings=pool_emb,
                                     labelled_embeddings=labelled_emb, multilabel=project.task == "multilabel")
    metrics = evaluate(project.task, project.labels, evalset.values, eval_pred, evalset.texts) if len(evalset) else {}
    return _commit(store, project, adapter, adapter_name, pool, values, conf, scores,
                   probs if not cold and project.task != "ner" else None,
                   metrics=metrics, n_labels=len(train), train_seconds=train_seconds, strategy=strategy, run=run,
                   models_dir=models_dir, cold=cold, progress=progress, t_start=t_start)


def _cold_start(store, project, pool: Rows, pool_emb, evalset: Rows, head: int):
    """Zero-shot values from label-name embeddings, queue led by one pick per KMeans cluster."""
    n, ner, encoder = len(pool), project.task == "ner", project.settings.encoder
    label_emb = None if ner else _embed(store, list(project.labels), encoder)
    if ner or not n:
        values: list[Any] = [[] for _ in range(n)] if ner else []
        conf = np.zeros(n)
        order = np.arange(n)
    else:
        values, conf = decode(project, al.zero_shot(pool_emb, label_emb))
        order = al.cold_start(pool_emb, min(head, n), seed=0)
    eval_pred: list[Any] = [[] for _ in range(len(evalset))] if ner else []
    if not ner and len(evalset):
        eval_pred = decode(project, al.zero_shot(_embed(store, evalset.texts, encoder), label_emb))[0]
    scores = np.zeros(n)
    k = min(head, len(order))
    scores[order[:k]] = 1.0 + (k - np.arange(k)) / max(k, 1)
    return values, np.asarray(conf), scores, eval_pred


def _commit(store, project, adapter, adapter_name, pool: Rows, values, conf, scores, probs, *, metrics, n_labels,
            train_seconds, strategy, run, models_dir, cold, progress, t_start) -> dict[str, Any]:
    root = Path(models_dir) if models_dir else models_dir_for(store.path)
    previous = store.get_project(project.id).active_model_version
    config = {"strategy": strategy, "encoder": project.settings.encoder, "cold_start": cold,
              "adapter_config": getattr(getattr(adapter, "config", None), "to_dict", dict)()}
    version_id = store.add_model_version(project, adapter_name, project.labels, config=config, metrics=metrics,
                                         n_labels=n_labels, train_seconds=train_seconds)
    path = root / str(project.id) / str(version_id)
    try:
        if adapter is not None:
            progress(0.85, "saving weights")
            adapter.save(path)
            store.set_model_path(version_id, str(path))
        progress(0.9, "writing suggestions")
        rows = ((rid, val, float(c), float(s), None if probs is None else np.round(p, PROBS_DECIMALS).tolist())
                for rid, val, c, s, p in zip(pool.ids, values, conf, scores,
                                             probs if probs is not None else [None] * len(pool)))
        with store.atomic():
            store.write_suggestions(project, version_id, rows)
            if previous is not None:
                from services.evaluation import prediction_agreement

                agreement = prediction_agreement(store, version_id, previous)
                if agreement is not None:
                    metrics = {**metrics, "pool_agreement": agreement}
                    store.execute("UPDATE model_versions SET metrics = ? WHERE id = ?",
                                  (_dumps(metrics), version_id))
            round_metrics = {k: v for k, v in metrics.items() if k != "per_class"}
            round_metrics["train_seconds"] = train_seconds
            store.add_round(project, strategy, n_labels, round_metrics, model_version_id=version_id, run=run)
            store.activate_model_version(project, version_id)
            # keep the suggestions of the new and the previous version only (stopping hint compares them)
            keep = [version_id] + ([previous] if previous is not None else [])
            store.execute(f"DELETE FROM suggestions WHERE project_id = ? AND model_version_id NOT IN "
                          f"({','.join('?' * len(keep))})", (project.id, *keep))
    except BaseException:
        with store.atomic():
            store.execute("DELETE FROM model_versions WHERE id = ?", (version_id,))
        shutil.rmtree(path, ignore_errors=True)
        raise
    progress(1.0, "done")
    return {"model_version_id": version_id, "adapter": adapter_name, "n_labels": n_labels,
            "metrics": {k: v for k, v in metrics.items() if k != "per_class"}, "train_seconds": train_seconds,
            "pool": len(pool), "cold_start": cold, "seconds": time.perf_counter() - t_start}


def _dumps(value: Any) -> str:
    from workbench.store import dumps

    return dumps(value)


# -- helpers the page and CLI use ---------------------------------------------------------

def model_status(store, project) -> dict[str, Any]:
    """Active version summary, staleness and the latest training job, for the UI and CLI."""
    project = store.get_project(project.id)
    active = store.model_version(project.active_model_version) if project.active_model_version else None
    job = store.latest_job(project, JOB_KIND)
    return {"active": active, "labels_since": labels_since_training(store, project), "job": job,
            "retrain_every": project.settings.retrain_every}


if __name__ == "__main__":  # python -m services.training DB PROJECT JOB_ID (used by launch_process)
    import sys

    try:
        run_training_job(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    except JobError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
