"""One active-learning round: train, evaluate, score the pool, swap the new version in.

The UI (through a background job), the CLI and the simulation all run this.
A round that raises leaves the previous version active and deletes its own
half-made version and weights; labels are never touched.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from services import active_learning as al
from services.embeddings import embed, uncached_share
from services.evaluation import evaluate
from services.models.base import (
    ADAPTERS,
    EmbeddingAware,
    FineTuned,
    ReadsWords,
    SpanPredictor,
    get_adapter,
    supports,
)
from services.training import features
from services.training.data import Rows, eval_ids, eval_split, in_cold_start, pool_rows, training_rows
from workbench.config import models_dir_for
from workbench.errors import ValidationError
from workbench.jobs import scaled
from workbench.types import ModelVersionId, ProgressFn

ZERO_SHOT = "zero_shot"  # adapter name recorded for cold-start versions
#: held-out records a cold-start round scores zero-shot on (an estimate; the first model gets all of them)
COLD_EVAL_SAMPLE = 500
PROBS_DECIMALS = 4


def build_adapter(name: str, project, store, encoder: str | None = None):
    """A fresh adapter of registry ``name`` for the project, given what it declares it needs; an embedding-aware
    one reads ``encoder``'s vectors (default: the project's)."""
    cls = ADAPTERS.get(name)
    config: dict[str, Any] = {}
    if supports(cls, EmbeddingAware):
        config.update(store=store, encoder=encoder or project.settings.encoder)  # the cached sentence vectors
    if supports(cls, FineTuned):
        config["base_model"] = project.settings.base_model
    return get_adapter(name, project.task, project.labels, **config)


def decode(project, probs: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Label values and (N,) confidences from (N, K) probabilities (multilabel threshold 0.5)."""
    if project.task == "multilabel":
        values = [[project.labels[k] for k in np.flatnonzero(row >= 0.5)] for row in probs]
        return values, np.abs(2 * probs - 1).min(axis=1) / 2 + 0.5
    top = probs.argmax(axis=1)
    return [project.labels[k] for k in top], probs.max(axis=1)


def predict(adapter, project, texts: list[str], emb: np.ndarray | None = None):
    """(probabilities for scoring (N, K), predicted values, (N,) confidences) for ``texts``."""
    if not texts:
        return np.zeros((0, max(len(project.labels), 2))), [], np.zeros(0)
    if project.task == "ner":
        token_probs = adapter.predict_proba(texts)
        spans = adapter.predict_spans(texts) if supports(adapter, SpanPredictor) else [[] for _ in texts]
        probs = al.sentence_probs(token_probs, project.settings.ner_uncertainty)
        return probs, spans, probs[:, 0]
    if emb is not None and supports(adapter, ReadsWords):
        probs = np.asarray(adapter.predict_proba_mixed(texts, emb))
    elif emb is not None and supports(adapter, EmbeddingAware):
        probs = np.asarray(adapter.predict_proba_embeddings(emb))
    else:
        probs = np.asarray(adapter.predict_proba(texts))
    return probs, *decode(project, probs)


def embed_texts(store, project, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
    """(N, D) cached sentence vectors of the project's encoder (the first round of a large project
    spends minutes here, and says so through ``progress``)."""
    from services.embeddings import embed

    return embed(texts, encoder=project.settings.encoder, store=store, progress=progress)


@dataclass
class Outcome:
    """What a round produced, before it is committed."""

    adapter: Any
    adapter_name: str
    values: list[Any]
    confidences: np.ndarray
    scores: np.ndarray
    probs: np.ndarray | None
    metrics: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0
    cold: bool = False
    #: cold start: :func:`services.active_learning.zero_shot_check` on the labels so far
    zero_shot_check: dict[str, Any] | None = None


def train_round(store, project, *, adapter: str | None = None, strategy: str | None = None, run: str = "live",
                models_dir: str | Path | None = None, head: int | None = None,
                progress: ProgressFn | None = None) -> dict[str, Any]:
    """Train, evaluate, score the pool and activate a new model version.

    Parameters
    ----------
    adapter, strategy : str, optional
        What is trained and the query strategy; default to the project's settings.
    run : str
        Name of the curve the round belongs to (``"live"`` for real labelling).
    models_dir : path, optional
        Root for saved weights; a version is saved under ``<models_dir>/<project id>/<version id>/``.
    head : int, optional
        How many picks of the strategy's batch selection lead the queue (default ``max(2 * retrain_every, 20)``).

    Returns
    -------
    dict
        ``model_version_id``, ``adapter``, ``n_labels``, ``metrics``, ``train_seconds``, ``pool``,
        ``cold_start``, ``seconds``.
    """
    t_start = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    settings = project.settings
    adapter, strategy = adapter or settings.adapter, strategy or settings.strategy
    spec = al.get_strategy(strategy)
    head = head or max(2 * settings.retrain_every, 20)
    report(0.02, "reading labels")
    train, pool, evalset, later, cold = _round_sets(store, project)
    # diversity-aware strategies need sentence vectors for every task (NER included);
    # cold start and embedding-aware adapters only use them for classification / multilabel
    needs_pool_emb = spec.needs_embeddings or (project.task != "ner" and (cold or supports(ADAPTERS.get(adapter),
                                                                                           EmbeddingAware)))
    pool_emb, rest, first_end = None, report, 1.0
    if needs_pool_emb and len(pool):
        pool_emb, rest, first_end = _pool_vectors(store, project, pool, later, progress)
    if cold:
        rest(0.3, "cold start: zero-shot suggestions and diverse picks")
        outcome, eval_pred = _cold_start(store, project, pool, pool_emb, evalset, head, train)
    else:
        outcome, eval_pred = _fit_and_score(store, project, adapter, spec, train, pool, pool_emb, evalset, head,
                                            rest)
    if len(evalset):
        outcome.metrics = evaluate(project.task, project.labels, evalset.values, eval_pred, evalset.texts)
    result = commit(store, project, outcome, pool, n_labels=len(train), strategy=strategy, run=run,
                    models_dir=models_dir, progress=rest)
    result["first_suggestions_seconds"] = time.perf_counter() - t_start
    if not cold and not features.encodes_before_fit():
        # the suggestions are live; a CPU round encodes ahead with the stronger encoder (if the model reads one)
        # for later rounds (a GPU round encoded every text before it trained: nothing would be missing)
        features.encode_ahead(store, project, adapter, [*train.texts, *evalset.texts, *pool.texts],
                              progress=lambda _, message: rest(1.0, f"suggestions ready; encoding ahead for the "
                                                                    f"next rounds: {message}"))
    if len(later):
        # the suggestions are live; encode the rest of the pool now so the first model's round is quick
        rest(1.0, f"suggestions ready; encoding the other {len(later):,} records for the first model")
        embed_texts(store, project, later.texts, scaled(progress, first_end, 1.0))
    return {**result, "seconds": time.perf_counter() - t_start}


def _round_sets(store, project) -> tuple[Rows, Rows, Rows, Rows, bool]:
    """(training labels, pool, held-out set, pool records left for later, cold start?). A cold start
    (classification, multilabel) scores only :func:`services.active_learning.cold_start_sample` of the
    pool and the held-out set, so its suggestions come after a sample is encoded, not the whole pool."""
    held_out = eval_ids(store, project)
    train = training_rows(store, project, held_out)
    if not len(train) and project.task == "ner":
        raise ValidationError("there are no human labels to train on yet; label a few records first")
    pool, evalset, later = pool_rows(store, project, held_out), eval_split(store, project, held_out), Rows([], [], [])
    cold = in_cold_start(project, train)
    if cold and project.task != "ner":
        pool, later = _sample(pool)
        evalset = _sample(evalset, COLD_EVAL_SAMPLE)[0]
    return train, pool, evalset, later, cold


def _pool_vectors(store, project, pool: Rows, later: Rows, progress: ProgressFn | None):
    """(pool vectors, progress for the rest of the round, where the round's bar ends before ``later``).

    The bar's share for encoding follows the work left: the first round of a big project is almost
    all encoding, a later one (everything cached) almost none; ``later`` keeps its share at the end."""
    encoder = project.settings.encoder
    share = uncached_share(pool.texts, encoder, store)
    after = len(later) * uncached_share(later.texts, encoder, store)
    first_end = 1.0 - after / (after + len(pool) * share + 1)
    report = scaled(progress, 0.0, first_end)
    pool_emb = embed_texts(store, project, pool.texts, scaled(report, 0.02, 0.02 + 0.88 * share))
    report(0.02 + 0.88 * share, "vectors ready")
    return pool_emb, scaled(report, 0.02 + 0.88 * share, 1.0), first_end


def _sample(rows: Rows, limit: int | None = None) -> tuple[Rows, Rows]:
    """(the cold-start sample of ``rows``, the others): see :func:`services.active_learning.cold_start_sample`."""
    keep = set(al.cold_start_sample(rows.ids, limit).tolist())
    parts = ([i for i in range(len(rows)) if i in keep], [i for i in range(len(rows)) if i not in keep])
    return tuple(Rows([rows.ids[i] for i in p], [rows.texts[i] for i in p], [rows.values[i] for i in p])
                 for p in parts)


def _fit_and_score(store, project, adapter_name: str, spec, train: Rows, pool: Rows, pool_emb, evalset: Rows,
                   head: int, report: ProgressFn) -> tuple[Outcome, list[Any]]:
    encoder = _model_encoder(store, project, adapter_name, [*train.texts, *evalset.texts, *pool.texts],
                             scaled(report, 0.0, 0.1))
    report(0.1, f"training {adapter_name} on {len(train)} labels")
    adapter = build_adapter(adapter_name, project, store, encoder)
    t = time.perf_counter()
    adapter.fit(train.texts, train.values, progress=scaled(report, 0.1, 0.6))
    train_seconds = time.perf_counter() - t
    report(0.65, "evaluating")
    eval_pred = predict(adapter, project, evalset.texts)[1] if len(evalset) else []
    report(0.75, f"predicting {len(pool)} pool records")
    model_emb = pool_emb if encoder == project.settings.encoder or pool_emb is None else \
        embed(pool.texts, encoder=encoder, store=store)  # all cached: model_encoder checked
    probs, values, conf = predict(adapter, project, pool.texts, model_emb)
    scores = np.zeros(0)
    if len(pool):
        labelled_emb = embed_texts(store, project, train.texts) if spec.name == "margin_kcenter" else None
        scores = al.queue_scores(spec.name, probs, head=min(head, len(pool)), embeddings=pool_emb,
                                 labelled_embeddings=labelled_emb, multilabel=project.task == "multilabel")
    keep_probs = probs if project.task != "ner" else None
    return Outcome(adapter, adapter_name, values, conf, scores, keep_probs, train_seconds=train_seconds), eval_pred


def _model_encoder(store, project, adapter_name: str, texts: list[str], report: ProgressFn) -> str:
    """:func:`services.training.features.model_encoder` for the round's texts (labelled ones first); on a GPU
    the missing vectors are encoded first (:func:`~services.training.features.encodes_before_fit`)."""
    if features.wanted_encoder(project, adapter_name) and features.encodes_before_fit():
        report(0.0, "encoding with the stronger encoder")
        features.encode_ahead(store, project, adapter_name, texts, progress=report)
    return features.model_encoder(store, project, adapter_name, texts)


def _cold_start(store, project, pool: Rows, pool_emb, evalset: Rows, head: int,
                train: Rows) -> tuple[Outcome, list[Any]]:
    """Zero-shot values from label-name embeddings, queue led by one pick per KMeans cluster. The values
    become suggestions only when zero-shot beat the majority label on the labels so far (``train``)."""
    n, ner = len(pool), project.task == "ner"
    label_emb = None if ner else embed_texts(store, project, list(project.labels))
    if ner or not n:
        values: list[Any] = [[] for _ in range(n)] if ner else []
        conf, order = np.zeros(n), np.arange(n)
    else:
        values, conf = decode(project, al.zero_shot(pool_emb, label_emb))
        order = al.cold_start(pool_emb, min(head, n), seed=0)
    eval_pred: list[Any] = [[] for _ in range(len(evalset))] if ner else []
    if not ner and len(evalset):
        eval_pred = decode(project, al.zero_shot(embed_texts(store, project, evalset.texts), label_emb))[0]
    check = None
    if not ner and n:
        check = al.zero_shot_check(decode(project, al.zero_shot(embed_texts(store, project, train.texts),
                                                                 label_emb))[0], train.values)
        if not check["shown"]:
            values = [None] * n  # the diverse order stays; the misleading suggestions go
    scores = np.zeros(n)
    k = min(head, len(order))
    scores[order[:k]] = 1.0 + (k - np.arange(k)) / max(k, 1)
    return Outcome(None, ZERO_SHOT, values, np.asarray(conf), scores, None, cold=True,
                   zero_shot_check=check), eval_pred


def commit(store, project, outcome: Outcome, pool: Rows, *, n_labels: int, strategy: str, run: str,
           models_dir: str | Path | None, progress: ProgressFn) -> dict[str, Any]:
    """Save the weights, write suggestions, record the round and activate the version (all or nothing)."""
    root = Path(models_dir) if models_dir else models_dir_for(store.path)
    previous = store.get_project(project.id).active_model_version
    adapter_config = outcome.adapter.config.to_dict() if outcome.adapter is not None else {}
    # whose vectors the model read: the project encoder's, or the stronger one's (services.training.features)
    model_encoder = adapter_config.get("encoder", project.settings.encoder)
    config = {"strategy": strategy, "encoder": project.settings.encoder, "model_encoder": model_encoder,
              "cold_start": outcome.cold,
              "adapter_config": adapter_config, "zero_shot_check": outcome.zero_shot_check}
    version_id = store.add_model_version(project, outcome.adapter_name, project.labels, config=config,
                                         metrics=outcome.metrics, n_labels=n_labels,
                                         train_seconds=outcome.train_seconds)
    path = root / str(project.id) / str(version_id)
    try:
        if outcome.adapter is not None:
            progress(0.85, "saving weights")
            outcome.adapter.save(path)
            store.set_model_path(version_id, str(path))
        progress(0.9, "writing suggestions")
        metrics = _activate(store, project, outcome, pool, version_id, previous, n_labels, strategy, run)
    except BaseException:
        store.delete_model_version(version_id)
        shutil.rmtree(path, ignore_errors=True)
        raise
    progress(1.0, "done")
    return {"model_version_id": version_id, "adapter": outcome.adapter_name, "model_encoder": model_encoder,
            "n_labels": n_labels,
            "metrics": {k: v for k, v in metrics.items() if k != "per_class"},
            "train_seconds": outcome.train_seconds, "pool": len(pool), "cold_start": outcome.cold}


def _activate(store, project, outcome: Outcome, pool: Rows, version_id: ModelVersionId,
              previous: ModelVersionId | None, n_labels: int, strategy: str, run: str) -> dict[str, Any]:
    probs = outcome.probs if outcome.probs is not None else [None] * len(pool)
    rows = ((rid, val, float(c), float(s), None if p is None else np.round(p, PROBS_DECIMALS).tolist())
            for rid, val, c, s, p in zip(pool.ids, outcome.values, outcome.confidences, outcome.scores, probs))
    metrics = dict(outcome.metrics)
    with store.atomic():
        store.write_suggestions(project, version_id, rows)
        if previous is not None:
            agreement = store.prediction_agreement(version_id, previous)
            if agreement is not None:
                metrics["pool_agreement"] = agreement
                store.set_version_metrics(version_id, metrics)
        round_metrics = {k: v for k, v in metrics.items() if k != "per_class"}
        round_metrics["train_seconds"] = outcome.train_seconds
        store.add_round(project, strategy, n_labels, round_metrics, model_version_id=version_id, run=run)
        store.activate_model_version(project, version_id)
        # keep the suggestions of the new and the previous version only (the stopping hint compares them)
        store.keep_suggestions_of(project, [version_id] + ([previous] if previous is not None else []))
    return metrics
