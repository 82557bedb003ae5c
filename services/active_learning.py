"""Query strategies: which unlabelled records to ask about next.

Every strategy is a pure function on model probabilities (and, for the
diversity-aware ones, sentence embeddings) that returns **indices into the
pool, best first**. Scores follow one direction everywhere: higher
uncertainty = ask sooner.

Shapes
------
- classification: ``probs`` is ``(N, K)``, rows sum to 1;
- multilabel: ``probs`` is ``(N, K)`` of independent per-label probabilities
  (pass ``multilabel=True``): a record is as uncertain as its label closest to
  the 0.5 threshold;
- NER: a list of ``(T_i, K)`` token distributions; :func:`sentence_probs`
  aggregates token uncertainty per sentence first.

Cold start (fewer than 2 labels per class) has no trustworthy model:
:func:`cold_start` picks one representative per KMeans cluster of the
embeddings, and :func:`zero_shot` suggests labels by cosine similarity between
record and label-name embeddings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import EmptyPoolError, PoolExhaustedError, ValidationError

_EPS = 1e-12


# -- per-record uncertainty (higher = ask sooner, all in [0, 1]) ---------------

def _check_probs(probs: Any) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValidationError(f"probabilities must be an (N, K) array, got shape {p.shape}")
    if p.shape[0] == 0:
        raise EmptyPoolError("the pool is empty: there are no unlabelled records to choose from")
    if not np.isfinite(p).all():
        raise ValidationError("probabilities contain NaN or infinity")
    return p


def least_confidence_scores(p: np.ndarray, multilabel: bool = False) -> np.ndarray:
    """``1 - max p`` rescaled to [0, 1]; multilabel: least sure binary decision."""
    if multilabel:
        return 1.0 - np.min(np.abs(2.0 * p - 1.0), axis=1)
    k = p.shape[1]
    return (1.0 - p.max(axis=1)) * (k / max(k - 1, 1))


def margin_scores(p: np.ndarray, multilabel: bool = False) -> np.ndarray:
    """``1 - (p_top1 - p_top2)`` (breaking ties); multilabel: closest label to 0.5."""
    if multilabel or p.shape[1] == 1:
        return 1.0 - np.min(np.abs(2.0 * p - 1.0), axis=1)
    top2 = -np.partition(-p, 1, axis=1)[:, :2]
    return 1.0 - (top2[:, 0] - top2[:, 1])


def entropy_scores(p: np.ndarray, multilabel: bool = False) -> np.ndarray:
    """Shannon entropy normalised by its maximum; multilabel: mean binary entropy."""
    if multilabel:
        q = np.clip(p, _EPS, 1 - _EPS)
        return (-(q * np.log2(q) + (1 - q) * np.log2(1 - q))).mean(axis=1)
    q = np.clip(p, _EPS, 1.0)
    k = p.shape[1]
    return -(p * np.log(q)).sum(axis=1) / np.log(max(k, 2))


def random_scores(p: np.ndarray, multilabel: bool = False, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(p.shape[0])


#: base scorer per strategy family (the diversity strategies rank by margin first)
_SCORERS: dict[str, Callable[..., np.ndarray]] = {
    "random": random_scores,
    "least_confidence": least_confidence_scores,
    "margin": margin_scores,
    "entropy": entropy_scores,
}


def uncertainty_scores(strategy: str, probs: Any, *, multilabel: bool = False, seed: int = 0) -> np.ndarray:
    """Per-record query score to store in ``suggestions.uncertainty``.

    Parameters
    ----------
    strategy : str
        A name in :data:`STRATEGIES`.
    probs : (N, K) array
        Model probabilities for the pool (see the module docstring).

    Returns
    -------
    (N,) float array in [0, 1]; higher = ask sooner.
    """
    spec = get_strategy(strategy)
    p = _check_probs(probs)
    if spec.base == "random":
        return random_scores(p, seed=seed)
    return _SCORERS[spec.base](p, multilabel)


def sentence_probs(token_probs: Sequence[Any], aggregate: str = "max") -> np.ndarray:
    """NER: turn per-token distributions into per-sentence margin uncertainty.

    Parameters
    ----------
    token_probs : list of (T_i, K) arrays
        One BIO-tag distribution per token.
    aggregate : {"max", "mean"}
        ``max`` asks about the sentence with the single least sure token,
        ``mean`` about the one that is unsure throughout.

    Returns
    -------
    (N, 2) array ``[[1 - u/2, u/2], ...]`` whose margin uncertainty equals the
    aggregated token margin uncertainty ``u``, so every strategy above applies.
    """
    if aggregate not in ("max", "mean"):
        raise ValidationError(f"unknown aggregate {aggregate!r}; valid: max, mean")
    out = np.zeros(len(token_probs))
    for i, tp in enumerate(token_probs):
        tp = np.asarray(tp, dtype=np.float64)
        if tp.ndim != 2 or tp.shape[0] == 0:
            continue  # empty sentence: nothing to learn from it, lowest priority
        u = margin_scores(tp)
        out[i] = u.max() if aggregate == "max" else u.mean()
    return np.stack([1.0 - out / 2.0, out / 2.0], axis=1)


# -- batch selection -------------------------------------------------------------

def _rank(scores: np.ndarray) -> np.ndarray:
    # stable: ties keep pool order, so picks are reproducible
    return np.argsort(-scores, kind="stable")


def _check_n(n_pool: int, n: int) -> None:
    if n < 1:
        raise ValidationError(f"batch size must be >= 1, got {n}")
    if n_pool == 0:
        raise EmptyPoolError("the pool is empty: there are no unlabelled records to choose from")
    if n > n_pool:
        raise PoolExhaustedError(
            f"asked for {n} records but only {n_pool} remain unlabelled; lower the batch size to {n_pool}")


def _check_embeddings(embeddings: Any, n_pool: int, strategy: str) -> np.ndarray:
    if embeddings is None:
        raise ValidationError(f"strategy {strategy!r} needs pool embeddings (N, D); pass embeddings=")
    e = np.asarray(embeddings, dtype=np.float32)
    if e.ndim != 2 or e.shape[0] != n_pool:
        raise ValidationError(f"embeddings must be ({n_pool}, D) to match the pool, got {e.shape}")
    return e


def _k_center(emb: np.ndarray, candidates: np.ndarray, n: int, labelled: np.ndarray | None) -> np.ndarray:
    """Greedy k-center over ``candidates`` (best-first order breaks ties).

    Starts from the distances to the labelled set (so already-known regions
    count as covered) and always adds the candidate farthest from everything
    picked so far. Embeddings are L2-normalised: distance = 1 - cosine.
    """
    cand = emb[candidates]
    if labelled is not None and len(labelled):
        dist = 1.0 - (cand @ np.asarray(labelled, dtype=np.float32).T).max(axis=1)
        first = []
    else:
        dist = np.full(len(candidates), np.inf, dtype=np.float32)
        first = [0]  # the most uncertain candidate opens the batch
        dist = np.minimum(dist, 1.0 - cand @ cand[0])
    picked = list(first)
    while len(picked) < n:
        j = int(np.argmax(dist))  # argmax returns the first max -> most uncertain among ties
        picked.append(j)
        dist = np.minimum(dist, 1.0 - cand @ cand[j])
        dist[j] = -np.inf
    return candidates[np.asarray(picked, dtype=int)]


def _dedup_walk(emb: np.ndarray, ranked: np.ndarray, n: int, threshold: float) -> np.ndarray:
    """Walk a best-first ranking, skipping items too similar to one already picked."""
    picked: list[int] = []
    chosen = np.empty((0, emb.shape[1]), dtype=np.float32)
    skipped: list[int] = []
    for i in ranked:
        if len(picked) == n:
            break
        if len(chosen) and float((chosen @ emb[i]).max()) >= threshold:
            skipped.append(int(i))
            continue
        picked.append(int(i))
        chosen = np.vstack([chosen, emb[i][None, :]])
    # a pool of near-duplicates: fill up with the best of the skipped ones
    picked += skipped[: n - len(picked)]
    return np.asarray(picked, dtype=int)


def _power_rank(scores: np.ndarray, seed: int, beta: float) -> np.ndarray:
    """A random order in which each next item is drawn with probability proportional to score**beta.

    Gumbel top-k trick (Kirsch et al. 2023, "Stochastic batch acquisition"):
    ``argsort(beta * log s + Gumbel noise)`` samples without replacement.
    Sampling instead of a hard top-k keeps a batch from piling onto one
    ambiguous (often mislabelled) region of the decision boundary.
    """
    g = np.random.default_rng(seed).gumbel(size=len(scores))
    return _rank(beta * np.log(np.clip(scores, _EPS, None)) + g)


def _cluster_pick(emb: np.ndarray, candidates: np.ndarray, n: int, seed: int) -> np.ndarray:
    """KMeans the candidates into n clusters; the best-ranked member of each, in rank order."""
    from sklearn.cluster import KMeans

    if len(candidates) <= n:
        return candidates[:n]
    km = KMeans(n_clusters=n, n_init=1, random_state=seed, max_iter=50).fit(emb[candidates])
    first: dict[int, int] = {}
    for pos, c in enumerate(km.labels_):
        first.setdefault(int(c), pos)
    picked = sorted(first.values())
    rest = [i for i in range(len(candidates)) if i not in set(picked)]
    return candidates[np.asarray(picked + rest[: n - len(picked)], dtype=int)]


def _density(emb: np.ndarray, k: int = 10, sample: int = 2000, seed: int = 0) -> np.ndarray:
    """Mean cosine similarity to the k nearest of a random pool sample: (N,) typicality."""
    rng = np.random.default_rng(seed)
    ref = emb if len(emb) <= sample else emb[rng.choice(len(emb), sample, replace=False)]
    k = min(k, len(ref))
    out = np.empty(len(emb), dtype=np.float32)
    for s in range(0, len(emb), 2048):
        sims = emb[s:s + 2048] @ ref.T
        out[s:s + 2048] = -np.partition(-sims, k - 1, axis=1)[:, :k].mean(axis=1)
    return out


@dataclass(frozen=True)
class Strategy:
    """A registered query strategy.

    Attributes
    ----------
    name : str
    base : str
        The per-record scorer it ranks by (``random``, ``margin``...).
    needs_embeddings : bool
        Whether :func:`select` needs the pool embeddings.
    description : str
    """

    name: str
    base: str
    needs_embeddings: bool
    description: str


STRATEGIES: dict[str, Strategy] = {s.name: s for s in [
    Strategy("random", "random", False, "uniform random sample (the baseline)"),
    Strategy("least_confidence", "least_confidence", False, "lowest top-class probability"),
    Strategy("margin", "margin", False, "smallest gap between the top two classes (breaking ties)"),
    Strategy("entropy", "entropy", False, "highest predictive entropy"),
    Strategy("margin_kcenter", "margin", True,
             "the most uncertain by margin, then greedy k-center among them so a batch covers different regions"),
    Strategy("margin_diverse", "margin", True,
             "margin order, skipping near-duplicates of records already in the batch (cosine >= 0.9)"),
    Strategy("density_margin", "margin", True,
             "margin uncertainty weighted by how typical a record is of the pool (information density)"),
    Strategy("power_margin", "margin", False,
             "samples records with probability proportional to margin uncertainty^2, no near-duplicates"),
    Strategy("power_entropy", "entropy", False,
             "samples records with probability proportional to entropy^3, no near-duplicates (recommended)"),
    Strategy("cluster_margin", "margin", True,
             "the most uncertain by margin, clustered with KMeans; the most uncertain of each cluster"),
    Strategy("mixed_margin", "margin", False, "half the batch by margin, half at random (explores noisy data)"),
]}

#: default sharpness of the power strategies (measured on the Movie reviews benchmark)
POWER_BETA = {"power_margin": 2.0, "power_entropy": 3.0}


def get_strategy(name: str) -> Strategy:
    """Look a strategy up; unknown names list the valid ones."""
    if name not in STRATEGIES:
        raise ValidationError(f"unknown strategy {name!r}; valid strategies: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]


def select(
    strategy: str, probs: Any, n: int, *, embeddings: Any = None, labelled_embeddings: Any = None,
    multilabel: bool = False, seed: int = 0, candidate_factor: int = 5, dedup_threshold: float = 0.9,
    density_weight: float = 1.0, power_beta: float | None = None,
) -> np.ndarray:
    """Pick ``n`` pool indices to label next, best first.

    Parameters
    ----------
    strategy : str
        A name in :data:`STRATEGIES`.
    probs : (N, K) array
        Pool probabilities (for NER pass :func:`sentence_probs` output).
    n : int
        Batch size, ``1 <= n <= N``.
    embeddings : (N, D) float array, optional
        L2-normalised pool embeddings; required by diversity strategies.
    labelled_embeddings : (L, D) float array, optional
        Embeddings of already-labelled records (k-center treats them as covered).
    candidate_factor : int
        k-center considers the ``candidate_factor * n`` most uncertain records.

    Returns
    -------
    (n,) int array of indices into the pool, most informative first.

    Raises
    ------
    EmptyPoolError
        The pool has no records.
    PoolExhaustedError
        ``n`` is larger than the pool.
    """
    spec = get_strategy(strategy)
    p = _check_probs(probs)
    _check_n(len(p), n)
    emb = _check_embeddings(embeddings, len(p), strategy) if spec.needs_embeddings else None
    scores = uncertainty_scores(strategy, p, multilabel=multilabel, seed=seed)
    if spec.name == "margin_kcenter":
        candidates = _rank(scores)[: min(len(p), max(n, candidate_factor * n))]
        return _k_center(emb, candidates, n, labelled_embeddings)
    if spec.name == "margin_diverse":
        return _dedup_walk(emb, _rank(scores), n, dedup_threshold)
    if spec.name in ("power_margin", "power_entropy"):
        beta = POWER_BETA[spec.name] if power_beta is None else power_beta
        ranked = _power_rank(scores, seed, beta)
        if embeddings is not None:  # optional: no near-duplicates in one batch
            return _dedup_walk(_check_embeddings(embeddings, len(p), strategy), ranked, n, dedup_threshold)
        return ranked[:n]
    if spec.name == "cluster_margin":
        candidates = _rank(scores)[: min(len(p), max(n, candidate_factor * n))]
        return _cluster_pick(emb, candidates, n, seed)
    if spec.name == "mixed_margin":
        k = (n + 1) // 2
        top = _rank(scores)[:k]
        rest = np.setdiff1d(np.arange(len(p)), top)
        extra = np.random.default_rng(seed).permutation(rest)[: n - k]
        return np.concatenate([top, extra]).astype(int)
    if spec.name == "density_margin":
        scores = scores * np.power(np.clip(_density(emb, seed=seed), _EPS, None), density_weight)
    return _rank(scores)[:n]


def queue_scores(
    strategy: str, probs: Any, *, head: int = 50, embeddings: Any = None, labelled_embeddings: Any = None,
    multilabel: bool = False, seed: int = 0,
) -> np.ndarray:
    """Scores whose descending order is the annotate queue.

    The first ``head`` picks of :func:`select` (the batch the strategy would
    choose, diversity included) score in ``(1, 2]`` in pick order; every other
    record keeps its base uncertainty in ``[0, 1]``. Storing these in
    ``suggestions.uncertainty`` lets the queue be one indexed ``ORDER BY``.

    Returns
    -------
    (N,) float array; higher = ask sooner.
    """
    p = _check_probs(probs)
    scores = uncertainty_scores(strategy, p, multilabel=multilabel, seed=seed).astype(np.float64)
    head = min(head, len(p))
    if head:
        picks = select(strategy, p, head, embeddings=embeddings, labelled_embeddings=labelled_embeddings,
                       multilabel=multilabel, seed=seed)
        scores[picks] = 1.0 + (head - np.arange(head)) / head
    return scores


# -- cold start --------------------------------------------------------------------

def needs_cold_start(label_counts: dict[str, int], labels: Sequence[str], minimum: int = 2) -> bool:
    """True while some class has fewer than ``minimum`` human labels."""
    return any(label_counts.get(label, 0) < minimum for label in labels)


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
