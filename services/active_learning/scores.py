"""Per-record uncertainty, all in [0, 1], higher = ask sooner (see the package docstring for shapes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from workbench.config import DEFAULT_NER_UNCERTAINTY, NER_UNCERTAINTIES
from workbench.errors import EmptyPoolError, ValidationError
from workbench.registry import one_of

_EPS = 1e-12


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
    from services.active_learning.strategies import get_strategy

    spec = get_strategy(strategy)
    p = _check_probs(probs)
    if spec.base == "random":
        return random_scores(p, seed=seed)
    return _SCORERS[spec.base](p, multilabel)


#: span_entropy: a token belongs to a (possible) predicted span once the model gives it this much
#: probability of being some entity (``1 - P(O)``)
SPAN_MASS = 0.1
#: one line per :data:`workbench.config.NER_UNCERTAINTIES` choice, for settings forms
NER_UNCERTAINTY_HELP = {
    "max": "max - the sentence's least sure token (margin)",
    "mean": "mean - token margin uncertainty averaged over the sentence",
    "span_entropy": "span_entropy - mean tag entropy over the tokens that may be entities",
}


def span_entropy(tp: np.ndarray) -> float:
    """Mean normalised tag entropy over the tokens the model thinks may be entities (0 if none).

    Parameters
    ----------
    tp : (T, K) array
        BIO-tag distribution per token, column 0 = ``O``.
    """
    candidates = (1.0 - tp[:, 0]) >= SPAN_MASS
    return float(entropy_scores(tp[candidates]).mean()) if candidates.any() else 0.0


def sentence_probs(token_probs: Sequence[Any], aggregate: str = DEFAULT_NER_UNCERTAINTY) -> np.ndarray:
    """NER: turn per-token distributions into per-sentence uncertainty.

    Parameters
    ----------
    token_probs : list of (T_i, K) arrays
        One BIO-tag distribution per token, in the ``O, B-x, I-x, ...`` column order.
    aggregate : {"max", "mean", "span_entropy"}
        ``max`` asks about the sentence with the single least sure token (margin), ``mean`` about
        the one that is unsure throughout; ``span_entropy`` is the mean tag entropy over the tokens
        the model gives at least :data:`SPAN_MASS` probability of being an entity (its predicted
        spans and near-misses), so long runs of sure ``O`` tokens do not dilute it and sentences
        with no possible entity come last.

    Returns
    -------
    (N, 2) array ``[[1 - u/2, u/2], ...]`` whose margin uncertainty equals the
    aggregated token uncertainty ``u``, so every strategy above applies.
    """
    one_of(aggregate, NER_UNCERTAINTIES, "NER uncertainty")
    out = np.zeros(len(token_probs))
    for i, tp in enumerate(token_probs):
        tp = np.asarray(tp, dtype=np.float64)
        if tp.ndim != 2 or tp.shape[0] == 0:
            continue  # empty sentence: nothing to learn from it, lowest priority
        if aggregate == "span_entropy":
            out[i] = span_entropy(tp)
            continue
        u = margin_scores(tp)
        out[i] = u.max() if aggregate == "max" else u.mean()
    return np.stack([1.0 - out / 2.0, out / 2.0], axis=1)
