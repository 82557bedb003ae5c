"""Data checks beside label quality: near-duplicates, outliers, class imbalance, nearest neighbours."""

from __future__ import annotations

from typing import Any

import numpy as np


def data_checks(features: np.ndarray, y: np.ndarray | None = None,
                pred_probs: np.ndarray | None = None) -> dict[str, Any]:
    """Datalab checks on embeddings: near-duplicates, outliers, class imbalance.

    Parameters
    ----------
    features : (N, D) embeddings.
    y : (N,) int labels (enables class imbalance and label-conflicting duplicates).

    Returns
    -------
    dict
        ``duplicate_sets``: list of index lists (each a near-duplicate group);
        ``outliers``: indices flagged as outliers, most atypical first;
        ``outlier_score``: (N,) lower = more atypical; ``class_imbalance``: bool.
    """
    from cleanlab import Datalab

    from services.quiet import quiet_loggers

    features = np.asarray(features, dtype=np.float32)
    n = len(features)
    out: dict[str, Any] = {"duplicate_sets": [], "outliers": [], "outlier_score": np.ones(n),
                           "class_imbalance": False}
    if n < 3:
        return out
    data = {"label": np.asarray(y, dtype=int)} if y is not None else {"x": np.arange(n)}
    lab = Datalab(data=data, label_name="label" if y is not None else None, verbosity=0)
    issue_types: dict[str, dict] = {"near_duplicate": {}, "outlier": {}}
    if y is not None:
        issue_types["class_imbalance"] = {}
    with quiet_loggers("cleanlab"):
        lab.find_issues(features=features, issue_types=issue_types)
    nd = lab.get_issues("near_duplicate")
    seen: set[int] = set()
    for i in np.flatnonzero(nd["is_near_duplicate_issue"].to_numpy()):
        if i in seen:
            continue
        group = sorted({int(i), *map(int, nd["near_duplicate_sets"].iloc[i])})
        seen.update(group)
        out["duplicate_sets"].append(group)
    od = lab.get_issues("outlier")
    scores = od["outlier_score"].to_numpy()
    flagged = np.flatnonzero(od["is_outlier_issue"].to_numpy())
    out["outliers"] = [int(i) for i in flagged[np.argsort(scores[flagged])]]
    out["outlier_score"] = scores
    if y is not None:
        ci = lab.get_issues("class_imbalance")
        out["class_imbalance"] = bool(ci["is_class_imbalance_issue"].any())
    return out


def neighbour_table(X: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Indices (N, k) and cosine similarities (N, k) of each row's k nearest other rows.

    X : (N, D) L2-normalised; computed in blocks so memory stays O(block * N).
    """
    n = len(X)
    k = min(k, n - 1)
    idx = np.zeros((n, max(k, 0)), dtype=int)
    sim = np.zeros((n, max(k, 0)), dtype=np.float32)
    if k <= 0:
        return idx, sim
    for start in range(0, n, 1024):
        block = X[start:start + 1024] @ X.T
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = -np.inf
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        top_sim = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sim, axis=1)
        idx[start:start + len(rows)] = np.take_along_axis(top, order, axis=1)
        sim[start:start + len(rows)] = np.take_along_axis(top_sim, order, axis=1)
    return idx, sim
