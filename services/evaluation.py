"""Held-out evaluation of a model version, and the stopping hint.

Metrics per task:

- classification: ``accuracy``, ``macro_f1`` and per-class precision / recall /
  F1 / support (scikit-learn);
- multilabel: ``micro_f1``, ``macro_f1``, subset ``accuracy`` and per-class;
- NER: entity-level ``f1`` / ``precision`` / ``recall`` from seqeval over
  whitespace tokens tagged with BIO from the character spans, plus per-type.

Every result also carries ``n`` (evaluated records) and a ``primary`` metric
name the curves plot by default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.errors import ValidationError
from workbench.text import spans_to_bio, tokenize
from workbench.types import check_task

PRIMARY = {"classification": "accuracy", "multilabel": "micro_f1", "ner": "f1"}


def _per_class(y_true, y_pred, labels: Sequence[str], indices: Sequence[int]) -> dict[str, dict[str, float]]:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(indices), zero_division=0)
    return {label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, label in enumerate(labels)}


def classification_metrics(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the schema's labels) and per-class metrics of label names."""
    from sklearn.metrics import accuracy_score, f1_score

    index = {label: i for i, label in enumerate(labels)}
    y_true = [index.get(g, -1) for g in gold]
    y_pred = [index.get(p, -1) for p in predicted]
    ks = list(range(len(labels)))
    return {
        "n": len(gold), "primary": PRIMARY["classification"],
        "accuracy": float(accuracy_score(y_true, y_pred)) if gold else 0.0,
        "macro_f1": float(f1_score(y_true, y_pred, labels=ks, average="macro", zero_division=0)) if gold else 0.0,
        "per_class": _per_class(y_true, y_pred, labels, ks) if gold else {},
    }


def multilabel_metrics(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                       labels: Sequence[str]) -> dict[str, Any]:
    """Micro / macro F1, subset accuracy and per-class metrics of label-name lists."""
    from sklearn.metrics import f1_score

    def matrix(values):
        m = np.zeros((len(values), len(labels)), dtype=int)
        index = {label: i for i, label in enumerate(labels)}
        for row, value in enumerate(values):
            for label in value:
                if label in index:
                    m[row, index[label]] = 1
        return m

    t, p = matrix(gold), matrix(predicted)
    if not len(t):
        return {"n": 0, "primary": PRIMARY["multilabel"], "micro_f1": 0.0, "macro_f1": 0.0, "accuracy": 0.0,
                "per_class": {}}
    per = {}
    for k, label in enumerate(labels):
        tp = int((t[:, k] & p[:, k]).sum())
        prec = tp / max(int(p[:, k].sum()), 1)
        rec = tp / max(int(t[:, k].sum()), 1)
        per[label] = {"precision": prec, "recall": rec, "f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                      "support": int(t[:, k].sum())}
    return {
        "n": len(t), "primary": PRIMARY["multilabel"],
        "micro_f1": float(f1_score(t, p, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(t, p, average="macro", zero_division=0)),
        "accuracy": float((t == p).all(axis=1).mean()),
        "per_class": per,
    }


def ner_metrics(texts: Sequence[str], gold: Sequence[Sequence[dict]], predicted: Sequence[Sequence[dict]],
                labels: Sequence[str]) -> dict[str, Any]:
    """Entity-level (seqeval) precision / recall / F1 overall and per entity type."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    y_true = [spans_to_bio(tokenize(t), g)[0] for t, g in zip(texts, gold)]
    y_pred = [spans_to_bio(tokenize(t), p)[0] for t, p in zip(texts, predicted)]
    if not y_true:
        return {"n": 0, "primary": PRIMARY["ner"], "f1": 0.0, "precision": 0.0, "recall": 0.0, "per_class": {}}
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    per = {label: {"precision": float(report[label]["precision"]), "recall": float(report[label]["recall"]),
                   "f1": float(report[label]["f1-score"]), "support": int(report[label]["support"])}
           for label in labels if label in report}
    return {
        "n": len(y_true), "primary": PRIMARY["ner"],
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "per_class": per,
    }


def evaluate(task: str, labels: Sequence[str], gold: Sequence[Any], predicted: Sequence[Any],
             texts: Sequence[str] | None = None) -> dict[str, Any]:
    """Metrics of predicted label values against gold ones (same shapes as stored labels).

    Parameters
    ----------
    task : {"classification", "multilabel", "ner"}
    gold, predicted : sequences of label values
        Names, name lists or span lists, one per evaluated record.
    texts : sequence of str
        Needed for NER (spans are character offsets into them).
    """
    check_task(task)
    if len(gold) != len(predicted):
        raise ValidationError(f"got {len(gold)} gold values but {len(predicted)} predictions")
    if task == "classification":
        return classification_metrics(gold, predicted, labels)
    if task == "multilabel":
        return multilabel_metrics(gold, predicted, labels)
    if texts is None:
        raise ValidationError("NER evaluation needs the texts the spans point into")
    return ner_metrics(texts, gold, predicted, labels)


# -- stopping hint ---------------------------------------------------------------------

def _wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion ``p`` measured on ``n`` items."""
    if n <= 0:
        return 0.0, 1.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _slope_per_100(labels: list[int], values: list[float]) -> float | None:
    """Least-squares change of the metric per 100 labels over the given rounds (None for fewer than 2)."""
    if len(labels) < 2 or len(set(labels)) < 2:
        return None
    x, y = np.asarray(labels, dtype=float), np.asarray(values, dtype=float)
    return float(np.polyfit(x, y, 1)[0] * 100)


def stopping_hint(store, project, *, run: str = "live", window: int = 3, min_gain: float = 0.005,
                  min_agreement: float = 0.99) -> dict[str, Any]:
    """Is labelling still paying off? One recommendation from three signals that never contradict it.

    - **stability**: share of pool predictions unchanged between the last two model versions;
    - **slope**: the primary metric's least-squares change per 100 labels over the last ``window + 1``
      evaluated rounds;
    - **precision**: the 95% Wilson interval of the latest held-out accuracy (its half-width says how
      small a gain the held-out set can see at all).

    ``stop`` only when predictions are stable *and* the slope is below ``min_gain`` per 100 labels
    over a full window. Otherwise the message says which signal asks to go on, or what is missing.

    Returns
    -------
    dict
        ``agreement`` (or None), ``gains`` (metric change of each of the last ``window`` rounds),
        ``slope`` (per 100 labels, or None), ``interval`` ((low, high) or None), ``metric``, ``stop``,
        ``message``.
    """
    versions = store.latest_model_versions(project, 2)
    agreement = None
    if len(versions) == 2:
        stored = (versions[0]["metrics"] or {}).get("pool_agreement")
        agreement = stored if stored is not None else store.prediction_agreement(versions[0]["id"], versions[1]["id"])
    metric = PRIMARY.get(project.task, "accuracy")
    rounds = [r for r in store.rounds(project) if r["run"] == run and metric in (r["metrics"] or {})][-(window + 1):]
    values = [float(r["metrics"][metric]) for r in rounds]
    gains = [b - a for a, b in zip(values, values[1:])]
    slope = _slope_per_100([int(r["n_labels"]) for r in rounds], values)
    latest = rounds[-1]["metrics"] if rounds else {}
    interval = _wilson(float(latest[metric]), int(latest["n"])) if rounds and latest.get("n") and metric == "accuracy" \
        else None
    stable = agreement is not None and agreement >= min_agreement
    full_window = len(gains) >= window
    flat = full_window and slope is not None and slope < min_gain
    now = (f"{metric} {values[-1]:.3f}" + (f" (95% CI {interval[0]:.3f}–{interval[1]:.3f})" if interval else "")
           if values else "")
    trend = f"{slope * 100:+.1f} points per 100 labels over the last {len(rounds)} rounds" if slope is not None else ""
    moved = f"{1 - agreement:.1%} of pool predictions changed in the last retrain" if agreement is not None else ""
    if not rounds and agreement is None:
        message = "Not enough rounds yet: train at least two model versions to get a stopping hint."
    elif stable and flat:
        message = f"Consider stopping: {agreement:.1%} of pool predictions stayed the same, {trend}; {now}."
    elif not full_window:
        have = f"{len(rounds)} evaluated round(s)" if rounds else "no evaluated round (no held-out reference labels)"
        message = (f"Keep labelling: {have} are too few to read a trend (the hint needs {window + 1})"
                   + (f"; {moved}" if moved else "") + (f"; {now}" if now else "") + ".")
    elif not flat:
        message = f"Keep labelling: {metric} still moves, {trend}; {now}."
    elif agreement is None:
        message = f"Keep labelling: {metric} is flat ({trend}); one more retrain shows whether predictions settled."
    else:
        message = f"Keep labelling: {metric} is flat ({trend}), but {moved}; the model is still changing its mind."
    return {"agreement": agreement, "gains": gains, "slope": slope, "interval": interval, "metric": metric,
            "stop": bool(stable and flat), "message": message}


def learning_curves(store, project, metric: str | None = None) -> list[dict[str, Any]]:
    """Rows for the learning-curve chart: one per round, long format.

    Returns
    -------
    list of dict
        ``run``, ``strategy``, ``labels``, ``metric``, ``value``; ``metric``
        defaults to the task's primary metric. Rounds without it are skipped.
    """
    metric = metric or PRIMARY.get(project.task, "accuracy")
    rows = []
    for r in store.rounds(project):
        value = (r["metrics"] or {}).get(metric)
        if isinstance(value, (int, float)):
            rows.append({"run": r["run"], "strategy": r["strategy"], "labels": r["n_labels"], "metric": metric,
                         "value": float(value)})
    return rows


def curve_metrics(store, project) -> list[str]:
    """Metric names present in the project's rounds (primary first)."""
    names: list[str] = []
    for r in store.rounds(project):
        for key, value in (r["metrics"] or {}).items():
            if isinstance(value, (int, float)) and key not in ("n", "train_seconds", "pool_agreement") \
                    and key not in names:
                names.append(key)
    primary = PRIMARY.get(project.task, "accuracy")
    return sorted(names, key=lambda k: (k != primary, k))


def per_class_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """A model version's per-class metrics as table rows (label, precision, recall, f1, support)."""
    return [{"label": label, **{k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}}
            for label, m in (metrics or {}).get("per_class", {}).items()]
