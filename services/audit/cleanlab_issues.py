"""cleanlab on arrays: label quality and flagged issues for classification, multi-label and tokens."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.audit.config import CLEANLAB_JOBS
from workbench.errors import ValidationError

#: cleanlab's filter shares module globals between calls; two audit jobs in threads take turns
_CLEANLAB_LOCK = threading.Lock()


def find_issues(find: Any, *args: Any, **kwargs: Any) -> Any:
    """Call one of cleanlab's ``find_label_issues`` in this process (no fork), one call at a time."""
    with _CLEANLAB_LOCK:
        return find(*args, n_jobs=CLEANLAB_JOBS, **kwargs)


@dataclass
class ClassificationAudit:
    """Result of :func:`classification_issues` (N examples, K classes).

    quality : (N,) label-quality score in [0, 1]; lower = more likely mislabelled.
    is_issue : (N,) bool, cleanlab's flagged set.
    suggested : (N,) int argmax of the out-of-fold probabilities.
    noise_rate : per class name, estimated fraction of its given labels that are wrong.
    overlapping : list of (class_a, class_b, joint_probability) most-confused pairs.
    """

    quality: np.ndarray
    is_issue: np.ndarray
    suggested: np.ndarray
    noise_rate: dict[str, float]
    overlapping: list[tuple[str, str, float]]


def classification_issues(y: np.ndarray, pred_probs: np.ndarray, class_names: Sequence[str],
                          method: str = "self_confidence") -> ClassificationAudit:
    """cleanlab's label issues, quality scores and class-level noise for single-label data.

    Parameters
    ----------
    y : (N,) int given labels.
    pred_probs : (N, K) out-of-fold probabilities (rows sum to 1).
    """
    from cleanlab.dataset import find_overlapping_classes, rank_classes_by_label_quality
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    y = np.asarray(y, dtype=int)
    pred_probs = _check_probs(pred_probs, len(y), len(class_names))
    quality = get_label_quality_scores(y, pred_probs, method=method)
    present = np.unique(y)
    if len(present) < 2:
        raise ValidationError("an audit needs labels of at least two classes")
    is_issue = find_issues(find_label_issues, y, pred_probs, filter_by="prune_by_noise_rate")
    noise_rate: dict[str, float] = {}
    overlapping: list[tuple[str, str, float]] = []
    try:
        ranked = rank_classes_by_label_quality(labels=y, pred_probs=pred_probs)
        for _, row in ranked.iterrows():
            noise_rate[class_names[int(row["Class Index"])]] = float(row["Label Noise"])
        over = find_overlapping_classes(labels=y, pred_probs=pred_probs)
        for _, row in over.head(5).iterrows():
            overlapping.append((class_names[int(row["Class Index A"])], class_names[int(row["Class Index B"])],
                                float(row["Joint Probability"])))
    except (ValueError, IndexError):  # degenerate joints on tiny data: keep the issues, skip the stats
        pass
    return ClassificationAudit(quality, np.asarray(is_issue, dtype=bool), pred_probs.argmax(axis=1),
                               noise_rate, overlapping)


def _check_probs(pred_probs: Any, n: int, k: int) -> np.ndarray:
    p = np.asarray(pred_probs, dtype=float)
    if p.shape != (n, k):
        raise ValidationError(f"expected ({n}, {k}) probabilities, got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValidationError("probabilities contain NaN/inf: some example was never scored out-of-fold")
    return p


def multilabel_issues(given: Sequence[Sequence[int]], pred_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(quality (N,), is_issue (N,) bool) for multi-label data.

    Parameters
    ----------
    given : N lists of class indices (may be empty).
    pred_probs : (N, K) independent per-class probabilities, out-of-fold.
    """
    from cleanlab.multilabel_classification.filter import find_label_issues
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    given = [sorted(int(c) for c in g) for g in given]
    p = np.clip(np.asarray(pred_probs, dtype=float), 1e-6, 1 - 1e-6)
    quality = get_label_quality_scores(given, p)
    try:
        is_issue = np.asarray(find_issues(find_label_issues, given, p), dtype=bool)
    except (ValueError, IndexError):  # cleanlab needs every class seen both ways
        is_issue = quality < 0.5
    return quality, is_issue


def ner_issues(token_labels: Sequence[Sequence[int]], pred_probs: Sequence[np.ndarray]):
    """Token- and sentence-level label quality for token classification.

    Parameters
    ----------
    token_labels : N lists of T_i given tag indices.
    pred_probs : N arrays (T_i, K), out-of-fold, over the same tags.

    Returns
    -------
    sentence_quality : (N,) min token quality per sentence (lower = worse).
    token_quality : list of N (T_i,) arrays.
    flagged : list of (sentence index, token index) cleanlab flags, most severe first.
    """
    from cleanlab.token_classification.filter import find_label_issues
    from cleanlab.token_classification.rank import get_label_quality_scores

    labels = [list(map(int, t)) for t in token_labels]
    probs = [np.asarray(p, dtype=float) for p in pred_probs]
    for i, (t, p) in enumerate(zip(labels, probs)):
        if p.shape[0] != len(t):
            raise ValidationError(f"sentence {i}: {len(t)} tags but {p.shape[0]} probability rows")
    keep = [i for i, t in enumerate(labels) if len(t)]
    sentence_quality = np.ones(len(labels))
    token_quality = [np.ones(len(t)) for t in labels]
    if not keep:
        return sentence_quality, token_quality, []
    sq, token_info = get_label_quality_scores([labels[i] for i in keep], [probs[i] for i in keep])
    for j, i in enumerate(keep):
        sentence_quality[i] = float(sq[j])
        token_quality[i] = np.asarray(token_info[j], dtype=float)
    flagged = find_issues(find_label_issues, [labels[i] for i in keep], [probs[i] for i in keep])
    return sentence_quality, token_quality, [(keep[s], int(t)) for s, t in flagged]
