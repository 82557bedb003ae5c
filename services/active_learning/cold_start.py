"""Cold start (fewer than 2 labels per class, so no trustworthy model): diverse first picks and zero-shot labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from services.active_learning.strategies import _check_n
from workbench.errors import ValidationError


def needs_cold_start(label_counts: dict[str, int], labels: Sequence[str], minimum: int = 2) -> bool:
    """True while some class has fewer than ``minimum`` human labels."""
    return any(label_counts.get(label, 0) < minimum for label in labels)


#: how many pool records a cold-start round embeds and ranks: the first suggestions come after
#: encoding this many texts (~15 s of MiniLM on 2 CPU cores), not the whole pool (minutes)
COLD_START_SAMPLE = 2000


def cold_start_sample(keys: Sequence[int], limit: int | None = None) -> np.ndarray:
    """Sorted positions of the ``limit`` (default :data:`COLD_START_SAMPLE`) keys (record ids) with the
    smallest multiplicative hash.

    A fixed, id-keyed draw: the same records stay in the sample from round to round
    (their vectors are cached after the first), and a labelled record's place goes to
    the next one by hash. All positions when there are at most ``limit`` keys.
    """
    limit = COLD_START_SAMPLE if limit is None else limit
    keys = np.asarray(keys, dtype=np.uint64)
    if len(keys) <= limit:
        return np.arange(len(keys))
    hashed = (keys * np.uint64(2654435761)) % np.uint64(1 << 32)  # odd multiplier: a bijection mod 2**32
    return np.sort(np.argsort(hashed, kind="stable")[:limit])


def cold_start(embeddings: Any, n: int, *, seed: int = 0) -> np.ndarray:
    """Diverse first picks: the record nearest each of ``n`` KMeans centroids.

    Parameters
    ----------
    embeddings : (N, D) float array
        L2-normalised pool embeddings.
    n : int
        How many records to pick.

    Returns
    -------
    (n,) int indices into the pool, biggest cluster first.
    """
    from sklearn.cluster import KMeans

    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.ndim != 2:
        raise ValidationError(f"embeddings must be an (N, D) array, got shape {emb.shape}")
    _check_n(len(emb), n)
    if n == len(emb):
        return np.arange(n)
    km = KMeans(n_clusters=n, n_init=1, random_state=seed, max_iter=100).fit(emb)
    sizes = np.bincount(km.labels_, minlength=n)
    picks = []
    for c in np.argsort(-sizes, kind="stable"):
        members = np.flatnonzero(km.labels_ == c)
        if len(members) == 0:
            continue
        d = ((emb[members] - km.cluster_centers_[c]) ** 2).sum(axis=1)
        picks.append(int(members[np.argmin(d)]))
    # empty clusters are rare but possible: top up with unseen records
    rest = [i for i in np.random.default_rng(seed).permutation(len(emb)) if i not in set(picks)]
    return np.asarray(picks + rest[: n - len(picks)], dtype=int)


def zero_shot(embeddings: Any, label_embeddings: Any, *, temperature: float = 0.05) -> np.ndarray:
    """Label probabilities from cosine similarity to label-name embeddings.

    Parameters
    ----------
    embeddings : (N, D) float array
        L2-normalised record embeddings.
    label_embeddings : (K, D) float array
        L2-normalised embeddings of the label names / descriptions.
    temperature : float
        Softmax temperature over cosine similarities (small = sharper).

    Returns
    -------
    (N, K) probabilities, columns in label order.
    """
    emb = np.asarray(embeddings, dtype=np.float32)
    lab = np.asarray(label_embeddings, dtype=np.float32)
    if emb.ndim != 2 or lab.ndim != 2 or emb.shape[1] != lab.shape[1]:
        raise ValidationError(f"need (N, D) and (K, D) embeddings, got {emb.shape} and {lab.shape}")
    logits = (emb @ lab.T) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


#: zero-shot suggestions are shown only once this many human labels could check them
ZERO_SHOT_MIN_CHECK = 4


def zero_shot_check(predicted: Sequence[Any], given: Sequence[Any]) -> dict[str, Any]:
    """Does zero-shot beat the majority label on the labels people gave so far?

    Parameters
    ----------
    predicted, given : the zero-shot value and the human label of the same N labelled records
        (multi-label values compare as sets).

    Returns
    -------
    dict
        ``n``, ``accuracy`` (zero-shot right), ``majority`` (share of the most common human label), and
        ``shown``: at least :data:`ZERO_SHOT_MIN_CHECK` labels and accuracy above the majority share.
        Below that, zero-shot suggestions would mislead more than help (on held-out sets it scored
        under the majority class), so the queue keeps their diverse order but shows no suggestion.
    """
    from collections import Counter

    def key(v: Any) -> Any:
        return tuple(sorted(v)) if isinstance(v, (list, tuple)) else v

    n = len(given)
    if n == 0:
        return {"n": 0, "accuracy": None, "majority": None, "shown": False}
    accuracy = sum(key(p) == key(g) for p, g in zip(predicted, given)) / n
    majority = Counter(key(g) for g in given).most_common(1)[0][1] / n
    return {"n": n, "accuracy": accuracy, "majority": majority,
            "shown": bool(n >= ZERO_SHOT_MIN_CHECK and accuracy > majority)}
