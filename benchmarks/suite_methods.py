"""The methods the suite compares: active-learning pipelines and audit models, by name.

An active-learning method is a seeding (``random``: a random seed set with every
class in it; ``cold``: the product's cold-start queue), a model on the frozen
vectors and a query strategy from :mod:`services.active_learning`. An audit
method maps (texts, vectors, noisy labels) to a label-quality score per text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.active_learning import _seed_set
from benchmarks.data import cached_embeddings
from services import active_learning as al
from services import audit
from services.audit import oof
from workbench.config import DEFAULT_ADAPTERS, DEFAULT_STRATEGY


def flip_any(y: np.ndarray, k: int, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rate`` of the labels moved to a uniformly drawn other class; returns (noisy, flipped mask)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(y), size=int(round(rate * len(y))), replace=False)
    noisy = y.copy()
    noisy[idx] = (noisy[idx] + rng.integers(1, k, size=len(idx))) % k
    mask = np.zeros(len(y), dtype=bool)
    mask[idx] = True
    return noisy, mask


def encoder_vectors(texts, X: np.ndarray, encoder: str) -> np.ndarray:
    """The vectors a method reads: ``X`` (MiniLM, what the suite passes) for ``minilm``, else the cached
    vectors of ``encoder``; ``a+b`` joins two encoders' unit vectors (scaled so the rows stay unit length)."""
    if encoder == "minilm":
        return X
    parts = [X if e == "minilm" else cached_embeddings(list(texts), e) for e in encoder.split("+")]
    return np.hstack(parts).astype(np.float32) / np.sqrt(len(parts)).astype(np.float32)


# -- active learning --------------------------------------------------------------

class _Context:
    """Per split: the model's pool / test vectors (``Xp``, ``Xt``), the project encoder's (``Cp``, ``Ct``: cold
    start, zero-shot and diversity read them, as in the product), and the TF-IDF views and label-name vectors
    when a method needs them."""

    def __init__(self, texts, X, names, pool_idx, test_idx, encoder: str = "minilm", model_X=None):
        self.texts, self.X, self.names, self.encoder = texts, X, names, encoder
        self.Cp, self.Ct = X[pool_idx], X[test_idx]
        M = X if model_X is None else model_X
        self.Xp, self.Xt = M[pool_idx], M[test_idx]
        self.pool_idx, self.test_idx = pool_idx, test_idx
        self._tfidf = None

    def tfidf(self):
        if self._tfidf is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            # vocabulary from every text (no labels involved), as the audit's TF-IDF view does
            T = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(self.texts)
            self._tfidf = (T[self.pool_idx], T[self.test_idx])
        return self._tfidf

    def label_vectors(self) -> np.ndarray:
        return encoder_vectors(list(self.names), cached_embeddings(list(self.names)), self.encoder)


def _logreg_probs(ctx, labelled, y_lab, k, C: float = 1.0):
    from services.models.logreg import LogRegAdapter

    head = LogRegAdapter("classification", [str(i) for i in range(k)], C=C)
    head.fit_embeddings(ctx.Xp[labelled], y_lab)
    return lambda rows: head.predict_proba_embeddings(ctx.Xp[rows]), \
        lambda: head.predict_proba_embeddings(ctx.Xt)


def _tfidf_probs(ctx, labelled, y_lab, k, C: float = 4.0):
    from sklearn.linear_model import LogisticRegression

    Tp, Tt = ctx.tfidf()
    clf = LogisticRegression(C=C, max_iter=1000, class_weight="balanced").fit(Tp[labelled], y_lab)
    return lambda rows: oof._full_columns(clf.predict_proba(Tp[rows]), clf.classes_, k), \
        lambda: oof._full_columns(clf.predict_proba(Tt), clf.classes_, k)


def _mean_of(*makers):
    def make(ctx, labelled, y_lab, k):
        parts = [m(ctx, labelled, y_lab, k) for m in makers]
        return (lambda rows: np.mean([p[0](rows) for p in parts], axis=0),
                lambda: np.mean([p[1]() for p in parts], axis=0))
    return make


def _adapter_probs(name: str, **config):
    """A registered adapter exactly as the product trains it (ReadsWords adapters get the texts too);
    ``config`` overrides its defaults."""
    def make(ctx, labelled, y_lab, k):
        from services.models import ReadsWords, get_adapter, supports

        model = get_adapter(name, "classification", [str(i) for i in range(k)], **config)
        pool_texts = [ctx.texts[i] for i in ctx.pool_idx]
        test_texts = [ctx.texts[i] for i in ctx.test_idx]
        if supports(model, ReadsWords):
            model.fit_mixed([pool_texts[i] for i in labelled], ctx.Xp[labelled], y_lab)
            return (lambda rows: model.predict_proba_mixed([pool_texts[i] for i in rows], ctx.Xp[rows]),
                    lambda: model.predict_proba_mixed(test_texts, ctx.Xt))
        model.fit_embeddings(ctx.Xp[labelled], y_lab)
        return lambda rows: model.predict_proba_embeddings(ctx.Xp[rows]), \
            lambda: model.predict_proba_embeddings(ctx.Xt)
    return make


MODELS: dict[str, Callable] = {
    "logreg": _logreg_probs,
    "logreg_c10": lambda ctx, lab, y, k: _logreg_probs(ctx, lab, y, k, C=10.0),
    "hybrid": _adapter_probs("hybrid"),
    # the two heads mixed by the out-of-fold weight (the default), and half and half (the old default)
    "hybrid_mean": _adapter_probs("hybrid", mix="mean"),
    "hybrid_cv": _adapter_probs("hybrid", mix="cv"),
    # vocabulary and IDF from every text of the data set (the product sees only the labelled ones)
    "hybrid_transductive": _mean_of(_logreg_probs, _tfidf_probs),
}


class _Fitted:
    def __init__(self, ctx, strategy: str, pool_probs, test_probs):
        self.ctx, self.strategy, self.pool_probs, self.test_probs = ctx, strategy, pool_probs, test_probs

    def predict_test(self) -> np.ndarray:
        return self.test_probs().argmax(axis=1)

    def pick(self, unl, n, labelled, seed) -> np.ndarray:
        return al.select(self.strategy, self.pool_probs(unl), n, embeddings=self.ctx.Cp[unl],
                         labelled_embeddings=self.ctx.Cp[labelled], seed=seed)


class _ZeroShot:
    """The cold-start state: zero-shot predictions, the next records one per KMeans cluster."""

    def __init__(self, ctx):
        self.ctx = ctx

    def predict_test(self) -> np.ndarray:
        return al.zero_shot(self.ctx.Ct, self.ctx.label_vectors()).argmax(axis=1)

    def pick(self, unl, n, labelled, seed) -> np.ndarray:
        return cold_picks(self.ctx.Cp, unl, n)


def cold_picks(Xp: np.ndarray, candidates: np.ndarray, n: int) -> np.ndarray:
    """What a cold-start round queues first, as the live round does it: KMeans representatives
    (seed 0) among :func:`services.active_learning.cold_start_sample` of the candidates (pool
    positions stand in for record ids). Returns positions into ``candidates``."""
    sample = al.cold_start_sample(candidates)
    return sample[al.cold_start(Xp[candidates[sample]], min(n, len(sample)), seed=0)]


#: a method's ``model_encoder``: what the product's ``model_encoder: auto`` reads (the stronger encoder when it
#: is fetched, ``services.training.features``), decided when the method runs
AUTO = "auto"


@dataclass(frozen=True)
class ALMethod:
    """seeding ("random" | "cold"), model (a key of :data:`MODELS`), strategy, the project encoder (cold start,
    zero-shot, diversity) and the encoder whose vectors the model reads (default: the same; :data:`AUTO`)."""

    seeding: str
    model: str
    strategy: str
    encoder: str = "minilm"
    model_encoder: str | None = None

    def context(self, texts, X, names, pool_idx, test_idx) -> _Context:
        own = encoder_vectors(texts, X, self.encoder)
        model = self.model_encoder
        if model == AUTO:
            from services.embeddings import stronger_encoder

            model = stronger_encoder(self.encoder) or self.encoder
        model_X = None if model in (None, self.encoder) else encoder_vectors(texts, X, model)
        return _Context(texts, own, names, pool_idx, test_idx, self.encoder, model_X)

    def first_batch(self, ctx, yp, seed_size: int, seed: int) -> np.ndarray:
        if self.seeding == "random":
            return _seed_set(yp, seed_size, seed)
        return cold_picks(ctx.Cp, np.arange(len(ctx.Cp)), seed_size)

    def fit(self, ctx, labelled, y_lab, k: int):
        counts = {str(c): int((y_lab == c).sum()) for c in range(k)}
        minimum = 1 if self.seeding == "cold1" else 2
        if self.seeding != "random" and al.needs_cold_start(counts, [str(c) for c in range(k)], minimum):
            return _ZeroShot(ctx)
        pool_probs, test_probs = MODELS[self.model](ctx, labelled, y_lab, k)
        return _Fitted(ctx, self.strategy, pool_probs, test_probs)


AL_METHODS: dict[str, ALMethod] = {
    "random": ALMethod("random", "logreg", "random"),
    "margin": ALMethod("random", "logreg", "margin"),
    # the product's pipeline: cold start on MiniLM, the default adapter on the vectors ``model_encoder: auto``
    # gives it (mpnet when it is fetched), the default strategy; ``default@minilm`` without mpnet
    "default": ALMethod("cold", DEFAULT_ADAPTERS["classification"], DEFAULT_STRATEGY, model_encoder=AUTO),
    "default@minilm": ALMethod("cold", DEFAULT_ADAPTERS["classification"], DEFAULT_STRATEGY),
    # the candidates the default was chosen from, shaped like it (cold start on MiniLM, model on mpnet):
    # the two heads half and half, and the plain logistic head alone
    "default_even_mix": ALMethod("cold", "hybrid_mean", DEFAULT_STRATEGY, model_encoder=AUTO),
    "default_logreg": ALMethod("cold", "logreg", DEFAULT_STRATEGY, model_encoder=AUTO),
    "cold+margin": ALMethod("cold", "logreg", "margin"),
    "power_entropy": ALMethod("random", "logreg", "power_entropy"),
    "cluster_margin": ALMethod("random", "logreg", "cluster_margin"),
    "hybrid+margin": ALMethod("random", "hybrid", "margin"),
    "cold+hybrid+margin": ALMethod("cold", "hybrid", "margin"),
    "cold+hybrid_mean+margin": ALMethod("cold", "hybrid_mean", "margin"),
    "cold+hybrid_cv+margin": ALMethod("cold", "hybrid_cv", "margin"),
    "cold+hybrid_transductive+margin": ALMethod("cold", "hybrid_transductive", "margin"),
    # leaves the cold start once every label has one example instead of two
    "cold1+hybrid+margin": ALMethod("cold1", "hybrid", "margin"),
    "cold+hybrid+power_entropy": ALMethod("cold", "hybrid", "power_entropy"),
    "logreg_c10+margin": ALMethod("random", "logreg_c10", "margin"),
    # better features: all-mpnet-base-v2 (``python -m workbench models fetch mpnet``), alone or joined to MiniLM
    "margin@mpnet": ALMethod("random", "logreg", "margin", "mpnet"),
    "cold+margin@mpnet": ALMethod("cold", "logreg", "margin", "mpnet"),
    "cold+hybrid+margin@mpnet": ALMethod("cold", "hybrid", "margin", "mpnet"),
    "cold+hybrid+margin@minilm+mpnet": ALMethod("cold", "hybrid", "margin", "minilm+mpnet"),
}


# -- audits -----------------------------------------------------------------------

def _cleanlab_quality(noisy, probs, names) -> np.ndarray:
    return audit.classification_issues(noisy, probs, names).quality


def _audit_model(model: str, folds: int = 5, refit: bool = False, weighted: bool = False, seed: int = 0,
                 encoder: str = "minilm"):
    """cleanlab on ``model``'s out-of-fold probabilities on ``encoder``'s vectors (:func:`encoder_vectors`);
    ``a|b``: the model's views on each encoder's vectors in one mix, an ensemble across encoders, as the
    product's ``also_encoders`` does."""
    def run(texts, X, noisy, names):
        probs = audit.oof_embedding_probabilities([encoder_vectors(texts, X, e) for e in encoder.split("|")],
                                                  noisy, len(names), model=model, folds=folds, seed=seed,
                                                  texts=texts, refit=refit, weighted=weighted)
        return _cleanlab_quality(noisy, probs, names)
    return run


def _default_audit(encoder: str | None = None):
    """The product's audit as ``AuditConfig()`` sets it up, read at call time (on ``encoder``'s vectors; by
    default the config's encoder with the recommended ``also_encoders`` that are fetched, ``a|b``)."""
    def run(texts, X, noisy, names):
        cfg = audit.AuditConfig()
        views = encoder or "|".join([cfg.encoder, *audit.recommended_also_encoders(cfg.encoder, "classification",
                                                                                   cfg.model)])
        return _audit_model(cfg.model, cfg.folds, cfg.refit, cfg.weighted, cfg.seed, views)(texts, X, noisy, names)
    return run


def _views(views: Sequence[tuple[str, float]], folds: int = 5):
    """Mean out-of-fold probabilities of (view, C) pairs; a lever test beside the registered models."""
    def run(texts, X, noisy, names):
        k, assignment = len(names), oof.fold_assignment(noisy, folds, 0)
        parts = []
        for view, C in views:
            fp = oof._logreg_fit_predict(X, noisy, k, C=C) if view == "logreg" else \
                oof._tfidf_fit_predict(list(texts), noisy, k, C=C) if view == "tfidf" else \
                oof._knn_fit_predict(X, noisy, k)
            parts.append(oof.oof_probabilities(fp, len(noisy), k, assignment))
        return _cleanlab_quality(noisy, np.mean(parts, axis=0), names)
    return run


def _previous_default(encoder: str = "minilm|mpnet"):
    """The default audit before the kNN view and the joint mix (commit adadb96), rebuilt for side-by-side runs:
    on each encoder's vectors apart, logreg and TF-IDF mixed by quarters, a second pass without that
    mix's flags, the two passes averaged; then the mean over the encoders."""
    from cleanlab.filter import find_label_issues

    from services.audit.cleanlab_issues import find_issues
    from services.models.common import mixing_weights

    def run(texts, X, noisy, names):
        k, n = len(names), len(noisy)
        assignment = oof.fold_assignment(noisy, 5, 0)
        words = oof._tfidf_fit_predict(list(texts), noisy, k) if n >= oof.HYBRID_MIN_TEXTS else None
        per_encoder = []
        for e in encoder.split("|"):
            fitters = [oof._logreg_fit_predict(encoder_vectors(texts, X, e), noisy, k), *([words] if words else [])]
            first = [oof.oof_probabilities(fp, n, k, assignment) for fp in fitters]
            weights = mixing_weights(first, noisy)
            mixed = np.tensordot(weights, np.stack(first), axes=1)
            keep = ~np.asarray(find_issues(find_label_issues, noisy, mixed, filter_by="prune_by_noise_rate"), bool)
            again = [oof.oof_probabilities(fp, n, k, assignment, keep=keep) for fp in fitters]
            per_encoder.append((mixed + np.tensordot(weights, np.stack(again), axes=1)) / 2)
        return _cleanlab_quality(noisy, np.mean(per_encoder, axis=0), names)
    return run


AUDIT_METHODS: dict[str, Callable] = {
    "plain": _audit_model("logreg"),
    "default": _default_audit(),
    "plain@mpnet": _audit_model("logreg", encoder="mpnet"),
    "default@minilm": _default_audit("minilm"),  # MiniLM alone: a default audit where mpnet is not fetched
    "default_v1": _previous_default(),  # the default until the kNN view and the joint mix
    "default_v1@minilm": _previous_default("minilm"),
    "default@mpnet": _default_audit("mpnet"),
    "default@minilm+mpnet": _default_audit("minilm+mpnet"),
    "plain@minilm|mpnet": _audit_model("logreg", encoder="minilm|mpnet"),
    "default@minilm|mpnet": _default_audit("minilm|mpnet"),
    "hybrid": _audit_model("hybrid"),
    "hybrid_refit": _audit_model("hybrid", refit=True),
    "hybrid_weighted_refit": _audit_model("hybrid", refit=True, weighted=True),
    "hybrid_weighted": _audit_model("hybrid", weighted=True),
    "plain_refit": _audit_model("logreg", refit=True),
    "logreg_c10": _views([("logreg", 10.0)]),
    "hybrid_c10": _views([("logreg", 10.0), ("tfidf", 4.0)]),
    "logreg_c10+knn": _views([("logreg", 10.0), ("knn", 0.0)]),
    "hybrid_c10+knn": _views([("logreg", 10.0), ("tfidf", 4.0), ("knn", 0.0)]),
}
