"""Audit a project's labels: load them, score them out of fold, store one row per record."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from services.audit.checks import data_checks, neighbour_table
from services.audit.cleanlab_issues import classification_issues, multilabel_issues
from services.audit.config import AuditConfig, check_source, ensemble_applies, recommended_also_encoders
from services.audit.oof import AUDIT_MODELS, oof_adapter_probabilities, oof_embedding_probabilities
from workbench.errors import ValidationError
from workbench.jobs import scaled
from workbench.store import dumps
from workbench.types import ProgressFn


def labelled_records(store, project, source: str) -> list[tuple[Any, Any]]:
    """(Record, given value) of every non-excluded record labelled in ``source``, in import order."""
    check_source(source)
    if source == "annotations":
        return [(rec, rec.label) for rec in store.iter_records(project.id, where="status = 'labelled' AND excluded = 0")]
    refs = store.reference_labels(project.id)
    return [(rec, refs[rec.id]) for rec in store.iter_records(project.id, where="excluded = 0") if rec.id in refs]


def run_audit(store, project, config: AuditConfig | None = None, progress: ProgressFn | None = None) -> int:
    """Audit a project's labels and store the result; return the new audit id.

    Every labelled (non-excluded) record gets one ``audit_issues`` row with its
    quality score; ``is_issue`` marks cleanlab's flagged set, and ``details``
    keeps the out-of-fold probabilities, neighbours, duplicates and a reason.
    """
    from services.audit.ner import audit_ner

    config = with_recommended(config or AuditConfig(), project.task)
    report = progress or (lambda fraction, message: None)
    items = labelled_records(store, project, config.source)
    if not items:
        hint = ("label some records first" if config.source == "annotations"
                else "import a file with a label column first")
        raise ValidationError(f"project {project.name!r} has no {config.source} labels to audit; {hint}")
    if config.also_encoders and not ensemble_applies(project.task, config.model):
        raise ValidationError(f"also_encoders adds views of an embedding model "
                              f"({', '.join(AUDIT_MODELS.names())}) in a classification or multi-label audit; "
                              f"drop it for {'NER' if project.task == 'ner' else f'the adapter {config.model!r}'}")
    result = (audit_ner if project.task == "ner" else audit_classes)(store, project, items, config, report)
    report(0.95, "saving")
    encoders = "|".join([config.encoder, *config.also_encoders])
    method = f"{config.model}@{encoders}/{config.folds}-fold/seed{config.seed}"
    audit_id = store.save_audit(project, config.source, config.to_dict(), result["summary"], method, result["rows"])
    report(1.0, f"audit #{audit_id} saved")
    return audit_id


def with_recommended(config: AuditConfig, task: str) -> AuditConfig:
    """``config`` with ``also_encoders=None`` turned into the list a default audit uses (stored as such)."""
    if config.also_encoders is not None:
        return config
    return replace(config, also_encoders=recommended_also_encoders(config.encoder, task, config.model))


#: out-of-fold work per encoder's view, in MiniLM-text units per text (in the suite's Movie reviews run
#: one 5-fold hybrid audit took an eighth to a sixth of the time its MiniLM vectors took to encode)
FOLD_WORK = 0.17
#: the same for an adapter retrained on every fold (fine-tuning costs many times the encoding)
ADAPTER_FOLD_WORK = 10.0
#: the bar's span for vectors and out-of-fold models (then duplicates, outliers, saving)
BAR_START, BAR_MODELS_END = 0.05, 0.85


def bar_plan(works: list[float], models: float) -> list[float]:
    """Where each encoder's part of the bar ends, then where the models' part ends: the span from
    ``BAR_START`` to ``BAR_MODELS_END`` split by the work left (``works``: :func:`encoding_work` per
    encoder; ``models``: the out-of-fold models', same units), so a first audit that must encode
    mpnet vectors spends most of its bar there and one whose vectors are all cached on the models."""
    total = sum(works) + models
    ends, at = [], BAR_START
    for work in works:
        at += (BAR_MODELS_END - BAR_START) * work / total
        ends.append(at)
    return [*ends, BAR_MODELS_END]


def _embed(store, texts: list[str], config: AuditConfig, report: ProgressFn) -> tuple[list[np.ndarray], float]:
    """``(N, D)`` vectors of ``config.encoder``, then of each of ``config.also_encoders`` (its own D), and
    the bar's fraction where encoding ends."""
    from services.embeddings import embed, encoding_work

    encoders = [config.encoder, *config.also_encoders]
    models = FOLD_WORK * len(encoders) if config.model in AUDIT_MODELS else ADAPTER_FOLD_WORK
    ends = bar_plan([encoding_work(texts, e, store) for e in encoders], models)
    starts = [BAR_START, *ends[:-2]]
    views = [np.asarray(embed(texts, encoder=e, store=store, progress=scaled(report, lo, hi)), dtype=np.float32)
             for e, lo, hi in zip(encoders, starts, ends)]
    return views, ends[-2]


def _oof(views: list[np.ndarray], y: np.ndarray, k: int, config: AuditConfig, texts: list[str],
         progress: ProgressFn | None = None) -> np.ndarray:
    """``(N, k)`` out-of-fold probabilities of ``config.model`` on the encoders' vectors (``views``, the main
    encoder's first), its views on all of them mixed into one."""
    return oof_embedding_probabilities(views, y, k, model=config.model, folds=config.folds, seed=config.seed,
                                       texts=texts, refit=config.refit, weighted=config.weighted, progress=progress)


def _class_probabilities(project, items, views: list[np.ndarray], config: AuditConfig, report: ProgressFn,
                         start: float):
    """(N, K) out-of-fold probabilities, (N,) quality, (N,) flagged, suggested values, noise rates, overlaps;
    ``report`` runs from ``start`` to ``BAR_MODELS_END``."""
    labels, k = list(project.labels), len(project.labels)
    index = {name: i for i, name in enumerate(labels)}
    texts, values = [rec.text for rec, _ in items], [v for _, v in items]
    fold_report = scaled(report, start, BAR_MODELS_END)
    embedding_model = config.model in AUDIT_MODELS
    if project.task == "multilabel":
        given_sets = [[index[v] for v in value] for value in values]
        Y = np.zeros((len(items), k), dtype=int)
        for i, g in enumerate(given_sets):
            Y[i, g] = 1
        if embedding_model:
            probs = np.stack([_oof(views, Y[:, c], 2, config, texts)[:, 1] for c in range(k)], axis=1)
        else:
            strat = Y.argmax(axis=1) + Y.sum(axis=1) * k  # first label and count: a rough stratum
            probs, _ = oof_adapter_probabilities(config.model, project.task, labels, texts, values, strat,
                                                 folds=config.folds, seed=config.seed, progress=fold_report,
                                                 **config.adapter_config)
        quality, is_issue = multilabel_issues(given_sets, probs)
        suggested = [[labels[c] for c in np.flatnonzero(row >= 0.5)] for row in probs]
        noise = {labels[c]: float(np.mean((probs[:, c] >= 0.5) != Y[:, c].astype(bool))) for c in range(k)}
        return probs, quality, is_issue, suggested, noise, [], None
    y = np.array([index[v] for v in values], dtype=int)
    if embedding_model:
        probs = _oof(views, y, k, config, texts, fold_report)
    else:
        probs, _ = oof_adapter_probabilities(config.model, project.task, labels, texts, values, y,
                                             folds=config.folds, seed=config.seed, progress=fold_report,
                                             **config.adapter_config)
    res = classification_issues(y, probs, labels)
    return probs, res.quality, res.is_issue, [labels[c] for c in res.suggested], res.noise_rate, res.overlapping, y


def audit_classes(store, project, items, config: AuditConfig, report: ProgressFn) -> dict[str, Any]:
    """Classification / multi-label audit: rows (one per record) and a summary."""
    views, encoded = _embed(store, [rec.text for rec, _ in items], config, report)
    X = views[0]  # neighbours, duplicates and outliers: the main encoder's vectors
    probs, quality, is_issue, suggested, noise_rate, overlapping, y = _class_probabilities(project, items, views,
                                                                                          config, report, encoded)
    report(0.88, "duplicates and outliers")
    checks = data_checks(X, y)
    given_values = [v for _, v in items]
    dup_of: dict[int, list[int]] = {}
    duplicates = []
    for group in checks["duplicate_sets"]:
        duplicates.append({"record_ids": [items[j][0].id for j in group],
                           "conflict": len({dumps(given_values[i]) for i in group}) > 1})
        for i in group:
            dup_of[i] = [j for j in group if j != i]
    rows = _class_rows(project, items, X, probs, quality, is_issue, suggested, checks, dup_of, config)
    counts: dict[str, int] = {}
    for r in rows:
        if r["is_issue"]:
            for name in (r["given"] if project.task == "multilabel" else [r["given"]]):
                counts[name] = counts.get(name, 0) + 1
    summary = {
        "n_audited": len(rows), "n_issues": int(sum(r["is_issue"] for r in rows)), "noise_rate": noise_rate,
        "overlapping_classes": overlapping, "issues_per_class": counts, "class_imbalance": checks["class_imbalance"],
        "duplicates": duplicates, "outliers": [items[j][0].id for j in checks["outliers"][:50]],
    }
    return {"rows": rows, "summary": summary}


def _class_rows(project, items, X, probs, quality, is_issue, suggested, checks, dup_of, config) -> list[dict]:
    from services.explain import issue_reason

    labels = list(project.labels)
    nbr_idx, nbr_sim = neighbour_table(X, config.neighbours)
    given_values = [v for _, v in items]
    rows = []
    for i, (rec, given) in enumerate(items):
        p = probs[i]
        nbrs = [{"record_id": items[j][0].id, "label": given_values[j], "similarity": float(s),
                 "text": items[j][0].text[:200]} for j, s in zip(nbr_idx[i], nbr_sim[i])]
        conflict = any(dumps(given_values[j]) != dumps(given) for j in dup_of.get(i, []))
        sug_prob = None if project.task == "multilabel" else float(p[labels.index(suggested[i])])
        reason = issue_reason(given, suggested[i], sug_prob, [n["label"] for n in nbrs], duplicate_conflict=conflict)
        rows.append({
            "record_id": rec.id, "issue_type": "duplicate" if conflict and not is_issue[i] else "label",
            "given": given, "suggested": suggested[i], "quality": float(quality[i]),
            "is_issue": bool(is_issue[i]) or conflict,
            "details": {"probs": {labels[c]: round(float(p[c]), 4) for c in range(len(labels))}, "neighbours": nbrs,
                        "duplicates": [items[j][0].id for j in dup_of.get(i, [])], "duplicate_conflict": conflict,
                        "outlier_score": float(checks["outlier_score"][i]), "reason": reason,
                        "external_id": rec.external_id},
        })
    return rows
