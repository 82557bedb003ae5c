"""Clusters on the map and what describes them: HDBSCAN (KMeans when it finds too few), class-based
TF-IDF keywords and representative texts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: label of the points HDBSCAN leaves out of every cluster
NOISE = -1
#: fewer clusters than this and the map is split with KMeans instead
MIN_CLUSTERS = 2
#: ... or when one cluster holds more than this share of the points
MAX_SHARE = 0.5
TOP_KEYWORDS = 8
REPRESENTATIVES = 3


def cluster(coords: np.ndarray, seed: int = 0) -> tuple[np.ndarray, str]:
    """(N,) cluster ids (``NOISE`` = unclustered) and the method used.

    HDBSCAN's smallest cluster is 1% of the points (at least 5), so a big map has tens of topics rather
    than hundreds of specks. When it finds fewer than :data:`MIN_CLUSTERS`, or one cluster holds more
    than :data:`MAX_SHARE` of the points, KMeans splits the map instead (k = sqrt(n / 50), 2 to 20).
    """
    from sklearn.cluster import HDBSCAN, KMeans

    n = len(coords)
    if n < 2 * 5:
        return np.zeros(n, dtype=int), "single"
    size = max(5, round(0.01 * n))
    labels = HDBSCAN(min_cluster_size=size, min_samples=min(size, 10), copy=True).fit_predict(coords)
    found = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.zeros(0, dtype=int)
    # "too few": fewer than two clusters, or one that swallows half the map (no topics to see)
    if len(found) >= MIN_CLUSTERS and found.max() <= MAX_SHARE * n:
        return labels.astype(int), f"hdbscan(min_cluster_size={size})"
    k = int(np.clip(round(np.sqrt(n / 50)), 2, 20))
    return KMeans(n_clusters=k, random_state=seed, n_init=10).fit_predict(coords).astype(int), f"kmeans(k={k})"


def keywords(texts: Sequence[str], labels: np.ndarray, top: int = TOP_KEYWORDS) -> dict[int, list[str]]:
    """Top class-based TF-IDF words per cluster (BERTopic's c-TF-IDF: a cluster's texts are one document;
    a word's weight is its share of that document times log(1 + mean words per cluster / its total count))."""
    from sklearn.feature_extraction.text import CountVectorizer

    ids = sorted(set(int(c) for c in labels))
    docs = [" ".join(t for t, c in zip(texts, labels) if c == cid) for cid in ids]
    vectorizer = CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{2,}\b", lowercase=True)
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # nothing but stop words and digits
        return {cid: [] for cid in ids}
    words = np.asarray(vectorizer.get_feature_names_out())
    counts = counts.astype(np.float64).toarray()  # one row per cluster: at most ~100 rows
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    idf = np.log1p(counts.sum() / len(ids) / np.maximum(counts.sum(axis=0), 1))
    weights = tf * idf
    out = {}
    for row, cid in enumerate(ids):
        order = np.argsort(-weights[row], kind="stable")[:top]
        out[cid] = [str(words[j]) for j in order if weights[row, j] > 0]
    return out


def representatives(vectors: np.ndarray, labels: np.ndarray, n: int = REPRESENTATIVES) -> dict[int, list[int]]:
    """Per cluster, the row positions of the ``n`` points closest (cosine) to the cluster's mean vector."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    out = {}
    for cid in sorted(set(int(c) for c in labels)):
        rows = np.flatnonzero(labels == cid)
        centre = unit[rows].mean(axis=0)
        out[cid] = [int(r) for r in rows[np.argsort(-(unit[rows] @ centre), kind="stable")[:n]]]
    return out
