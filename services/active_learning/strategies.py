"""Query strategies: a registry whose entries pick a batch; :func:`select` and the queue scores.

Each :class:`Strategy` holds its picking function ``pick(ctx) -> indices``;
:func:`select` validates the input, builds the :class:`Pick` context and
delegates, so adding a strategy is one registry entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.active_learning.scores import _EPS, _check_probs, uncertainty_scores
from workbench.errors import EmptyPoolError, PoolExhaustedError, ValidationError
from workbench.registry import Registry


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


@dataclass
class Pick:
    """What a strategy's picking function sees.

    Attributes
    ----------
    scores : (N,) base uncertainty (higher = ask sooner)
    n : batch size
    emb : (N, D) pool embeddings, or None when the strategy does not need them
    optional_emb : the caller's pool embeddings, unchecked, even when not needed (or None)
    labelled_emb : (L, D) embeddings of labelled records, or None
    """

    name: str
    scores: np.ndarray
    n: int
    emb: np.ndarray | None
    optional_emb: Any
    labelled_emb: np.ndarray | None
    seed: int
    candidate_factor: int
    dedup_threshold: float
    density_weight: float
    power_beta: float | None

    def candidates(self) -> np.ndarray:
        """The ``candidate_factor * n`` most uncertain indices."""
        return _rank(self.scores)[: min(len(self.scores), max(self.n, self.candidate_factor * self.n))]


def _top(ctx: Pick) -> np.ndarray:
    return _rank(ctx.scores)[:ctx.n]


def _kcenter(ctx: Pick) -> np.ndarray:
    return _k_center(ctx.emb, ctx.candidates(), ctx.n, ctx.labelled_emb)


def _diverse(ctx: Pick) -> np.ndarray:
    return _dedup_walk(ctx.emb, _rank(ctx.scores), ctx.n, ctx.dedup_threshold)


def _power(ctx: Pick) -> np.ndarray:
    beta = POWER_BETA[ctx.name] if ctx.power_beta is None else ctx.power_beta
    ranked = _power_rank(ctx.scores, ctx.seed, beta)
    if ctx.optional_emb is not None:  # optional: no near-duplicates in one batch
        emb = _check_embeddings(ctx.optional_emb, len(ctx.scores), ctx.name)
        return _dedup_walk(emb, ranked, ctx.n, ctx.dedup_threshold)
    return ranked[:ctx.n]


def _cluster(ctx: Pick) -> np.ndarray:
    return _cluster_pick(ctx.emb, ctx.candidates(), ctx.n, ctx.seed)


def _mixed(ctx: Pick) -> np.ndarray:
    k = (ctx.n + 1) // 2
    top = _rank(ctx.scores)[:k]
    rest = np.setdiff1d(np.arange(len(ctx.scores)), top)
    extra = np.random.default_rng(ctx.seed).permutation(rest)[: ctx.n - k]
    return np.concatenate([top, extra]).astype(int)


def _density_weighted(ctx: Pick) -> np.ndarray:
    weights = np.power(np.clip(_density(ctx.emb, seed=ctx.seed), _EPS, None), ctx.density_weight)
    return _rank(ctx.scores * weights)[:ctx.n]


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
    pick : callable(Pick) -> (n,) int indices, best first
    """

    name: str
    base: str
    needs_embeddings: bool
    description: str
    pick: Callable[[Pick], np.ndarray] = _top


STRATEGIES: Registry[Strategy] = Registry("query strategy")
for _s in [
    Strategy("random", "random", False, "uniform random sample (the baseline)"),
    Strategy("least_confidence", "least_confidence", False, "lowest top-class probability"),
    Strategy("margin", "margin", False, "smallest gap between the top two classes (breaking ties)"),
    Strategy("entropy", "entropy", False, "highest predictive entropy"),
    Strategy("margin_kcenter", "margin", True,
             "the most uncertain by margin, then greedy k-center among them so a batch covers different regions",
             _kcenter),
    Strategy("margin_diverse", "margin", True,
             "margin order, skipping near-duplicates of records already in the batch (cosine >= 0.9)", _diverse),
    Strategy("density_margin", "margin", True,
             "margin uncertainty weighted by how typical a record is of the pool (information density)",
             _density_weighted),
    Strategy("power_margin", "margin", False,
             "samples records with probability proportional to margin uncertainty^2, no near-duplicates", _power),
    Strategy("power_entropy", "entropy", False,
             "samples records with probability proportional to entropy^3, no near-duplicates (recommended)", _power),
    Strategy("cluster_margin", "margin", True,
             "the most uncertain by margin, clustered with KMeans; the most uncertain of each cluster", _cluster),
    Strategy("mixed_margin", "margin", False, "half the batch by margin, half at random (explores noisy data)",
             _mixed),
]:
    STRATEGIES.register(_s.name, _s)

#: default sharpness of the power strategies (measured on the Movie reviews benchmark)
POWER_BETA = {"power_margin": 2.0, "power_entropy": 3.0}


def get_strategy(name: str) -> Strategy:
    """Look a strategy up; unknown names list the valid ones."""
    return STRATEGIES.get(name)


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
        k-center and cluster strategies consider the ``candidate_factor * n`` most uncertain records.

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
    ctx = Pick(spec.name, uncertainty_scores(strategy, p, multilabel=multilabel, seed=seed), n, emb, embeddings,
               labelled_embeddings, seed, candidate_factor, dedup_threshold, density_weight, power_beta)
    return spec.pick(ctx)


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
