"""Out-of-fold probabilities: every score comes from a model that did not see that label.

Folds are stratified; the audit models (:data:`AUDIT_MODELS`) work directly on the
cached embedding matrix (and, for ``hybrid``, word n-grams), so an audit costs one
embedding pass plus seconds of scikit-learn; any adapter can be re-trained per fold instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from services.audit.config import DEFAULT_MODEL
from services.models.common import mixing_weights
from workbench.errors import ValidationError
from workbench.jobs import Meter, scaled
from workbench.registry import Registry
from workbench.types import ProgressFn

#: Below this many labelled texts the TF-IDF view has too little data to learn
#: word weights and only adds noise; hybrid is then the embedding logreg alone.
HYBRID_MIN_TEXTS = 200
FitPredict = Callable[[np.ndarray, np.ndarray], np.ndarray]


def fold_assignment(y: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Fold index (0..folds-1) of each example, stratified by class.

    Parameters
    ----------
    y : (N,) int class indices (for multilabel/NER pass any stratification key).

    Classes rarer than ``folds`` are spread round-robin instead of making
    scikit-learn refuse; every fold still leaves each example out exactly once.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y)
    n = len(y)
    if n < folds:
        raise ValidationError(f"an audit with {folds} folds needs at least {folds} labelled records; found {n}")
    _, counts = np.unique(y, return_counts=True)
    strat = y.copy()
    if counts.max() < folds:
        strat = np.zeros(n, dtype=int)  # too few per class to stratify at all
    assignment = np.empty(n, dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class has only k members"
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for k, (_, test) in enumerate(splitter.split(np.zeros(n), strat)):
            assignment[test] = k
    return assignment


def oof_probabilities(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int, k: int,
                      assignment: np.ndarray, progress: ProgressFn | None = None,
                      keep: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold (N, K) probabilities.

    Parameters
    ----------
    fit_predict : callable(train_idx, test_idx) -> (len(test_idx), K) probabilities
        Must train only on ``train_idx``; it is called once per fold.
    assignment : (N,) fold index per example, from :func:`fold_assignment`.
    keep : (N,) bool, optional
        Train only on these examples (every example is still scored by the fold that holds it out).
    """
    out = np.full((n, k), np.nan)
    folds = int(assignment.max()) + 1
    meter = Meter(progress, "out-of-fold models", folds, "folds")
    for f in range(folds):
        test = np.flatnonzero(assignment == f)
        train = np.flatnonzero((assignment != f) & (True if keep is None else keep))
        out[test] = fit_predict(train, test)
        meter(f + 1)
    return out


def _full_columns(probs: np.ndarray, seen: np.ndarray, k: int) -> np.ndarray:
    """Map probabilities over the classes seen in training onto all K columns."""
    full = np.full((len(probs), k), 1e-6)
    full[:, seen] = probs
    return full / full.sum(axis=1, keepdims=True)


def _logreg_fit_predict(X: np.ndarray, y: np.ndarray, k: int, C: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    def fit_predict(train, test):
        seen = np.unique(y[train])
        if len(seen) == 1:
            p = np.zeros((len(test), 1)) + 1.0
            return _full_columns(p, seen, k)
        clf = LogisticRegression(C=C, max_iter=1000)
        clf.fit(X[train], y[train])
        return _full_columns(clf.predict_proba(X[test]), clf.classes_, k)

    return fit_predict


def _knn_fit_predict(X: np.ndarray, y: np.ndarray, k: int, n_neighbors: int = 15, temperature: float = 0.05):
    """Cosine kNN with softmax(similarity / T) weights; X rows are L2-normalised."""

    def fit_predict(train, test):
        sims = X[test] @ X[train].T
        m = min(n_neighbors, len(train))
        top = np.argpartition(-sims, m - 1, axis=1)[:, :m]
        top_sims = np.take_along_axis(sims, top, axis=1)
        w = np.exp((top_sims - top_sims.max(axis=1, keepdims=True)) / temperature)
        onehot = np.eye(k)[y[train][top]]  # (T, m, K)
        p = (w[:, :, None] * onehot).sum(axis=1) + 1e-3
        return p / p.sum(axis=1, keepdims=True)

    return fit_predict


def _tfidf_fit_predict(texts: Sequence[str], y: np.ndarray, k: int, C: float = 4.0):
    """Logistic regression on TF-IDF word 1-2-grams (vocabulary from all texts: no labels involved)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    T = TfidfVectorizer(ngram_range=(1, 2), min_df=2 if len(texts) >= 200 else 1,
                        sublinear_tf=True).fit_transform(texts)

    def fit_predict(train, test):
        seen = np.unique(y[train])
        if len(seen) == 1:
            return _full_columns(np.ones((len(test), 1)), seen, k)
        # liblinear is ~4x faster than lbfgs on sparse binary problems, same accuracy
        clf = LogisticRegression(C=C, max_iter=1000, solver="liblinear" if len(seen) == 2 else "lbfgs")
        clf.fit(T[train], y[train])
        return _full_columns(clf.predict_proba(T[test]), clf.classes_, k)

    return fit_predict


#: audit model name -> its views ("logreg": one per encoder, "knn": on the last encoder's vectors, "tfidf")
AUDIT_MODELS: Registry[tuple[str, ...]] = Registry("audit model")
# hybrid: embedding regressions, a TF-IDF word 1-2-gram regression and a cosine kNN make different
# mistakes; mixed by out-of-fold log-loss they rank wrong labels better than any one (README: "How the
# defaults were chosen").
AUDIT_MODELS.register("hybrid", ("logreg", "tfidf", "knn"))
AUDIT_MODELS.register("logreg", ("logreg",))
AUDIT_MODELS.register("knn", ("knn",))
AUDIT_MODELS.register("ensemble", ("logreg", "knn"))
#: spacing of the weight grid on which an audit mixes its views (tenths: 286 mixes of four views)
AUDIT_MIX_STEP = 0.1


def _fitters(model: str, matrices: Sequence[np.ndarray], y: np.ndarray, k: int,
             texts: Sequence[str] | None) -> list[FitPredict]:
    """One fit-predict per view of ``model``: a logistic regression on each encoder's vectors, TF-IDF once,
    and kNN on the last encoder's (the strongest: a kNN on MiniLM beside mpnet's added nothing when the
    audit was tuned)."""
    out: list[FitPredict] = []
    for view in AUDIT_MODELS.get(model):
        if view == "logreg":
            out += [_logreg_fit_predict(X, y, k) for X in matrices]
        elif view == "knn":
            out.append(_knn_fit_predict(matrices[-1], y, k))
        elif len(y) >= HYBRID_MIN_TEXTS:
            try:
                out.append(_tfidf_fit_predict(list(texts), y, k))
            except ValueError:  # no usable vocabulary (e.g. only stop words): the other views alone
                pass
    return out


def oof_embedding_probabilities(X: np.ndarray | Sequence[np.ndarray], y: np.ndarray, k: int, *,
                                model: str = DEFAULT_MODEL, folds: int = 5, seed: int = 0,
                                texts: Sequence[str] | None = None, progress: ProgressFn | None = None,
                                refit: bool = False, weighted: bool = False) -> np.ndarray:
    """Out-of-fold (N, K) class probabilities from an audit model on fixed features.

    Parameters
    ----------
    X : (N, D) float features (L2-normalised sentence embeddings), or a list of such matrices, one per
        encoder (each its own D), the strongest last: every embedding view of ``model`` then joins the mix
        (:func:`_fitters`), an ensemble across encoders.
    y : (N,) int given labels in 0..K-1.
    model : a name of :data:`AUDIT_MODELS`: "hybrid" (logreg on X, logreg on TF-IDF of ``texts`` and
        kNN on X), "logreg", "knn" or "ensemble" (logreg + kNN).
    texts : the N texts; needed by views that read words ("hybrid").
    refit : a second pass whose fold models leave out the examples cleanlab flagged after the
        first, averaged with the first: models trained on fewer wrong labels rank wrong labels better.
    weighted : mix the views by :func:`mixing_weights` (the grid point of :data:`AUDIT_MIX_STEP` with the
        lowest out-of-fold log-loss) instead of the plain mean.
    """
    one = isinstance(X, np.ndarray) or (len(X) > 0 and np.ndim(X[0]) < 2)  # one matrix, not a list of them
    matrices = [np.asarray(M, dtype=np.float32) for M in ([X] if one else X)]
    y = np.asarray(y, dtype=int)
    if not matrices or any(len(M) != len(y) for M in matrices):
        raise ValidationError(f"features have {[len(M) for M in matrices]} rows but there are {len(y)} labels")
    if "tfidf" in AUDIT_MODELS.get(model) and (texts is None or len(texts) != len(y)):
        raise ValidationError(f"the {model} audit model needs the texts (one per label)")
    assignment = fold_assignment(y, folds, seed)
    fitters = _fitters(model, matrices, y, k, texts)
    passes = 2 if refit else 1

    def each_view(views: list[int], report: ProgressFn | None, keep=None) -> list[np.ndarray]:
        return [oof_probabilities(fitters[v], len(y), k, assignment, report and scaled(report, i / len(views),
                                                                                         (i + 1) / len(views)),
                                  keep=keep)
                for i, v in enumerate(views)]

    every = list(range(len(fitters)))
    views_probs = each_view(every, progress and scaled(progress, 0, 1 / passes))
    weights = mixing_weights(views_probs, y, AUDIT_MIX_STEP) if weighted else np.full(len(fitters), 1 / len(fitters))
    probs = np.tensordot(weights, np.stack(views_probs), axes=1)
    if not refit:
        return probs
    from cleanlab.filter import find_label_issues

    from services.audit.cleanlab_issues import find_issues

    keep = ~np.asarray(find_issues(find_label_issues, y, probs, filter_by="prune_by_noise_rate"), dtype=bool)
    used = [v for v in every if weights[v] > 0]  # a view the mix left out is not trained again

    def second(f: float, m: str) -> None:
        progress(0.5 + f / 2, f"{m} (second pass, without the flagged labels)")

    again = each_view(used, progress and second, keep)
    return (probs + np.tensordot(weights[used], np.stack(again), axes=1)) / 2


def oof_adapter_probabilities(name: str, task: str, labels: Sequence[str], texts: Sequence[str],
                              targets: Sequence[Any], strat: np.ndarray, *, folds: int = 5, seed: int = 0,
                              progress: ProgressFn | None = None, **config: Any):
    """Out-of-fold probabilities from a registry adapter re-trained on each fold.

    Returns (N, K) for classification / multilabel, or a list of (T_i, K) for
    NER (over the adapter's BIO tags), in the order of ``texts``.
    """
    from services.models.base import get_adapter

    texts = list(texts)
    targets = list(targets)
    assignment = fold_assignment(strat, folds, seed)
    out: list[Any] = [None] * len(texts)
    tag_names: list[str] | None = None
    meter = Meter(progress, f"out-of-fold {name} models", folds, "folds")
    for f in range(folds):
        test = np.flatnonzero(assignment == f)
        train = np.flatnonzero(assignment != f)
        adapter = get_adapter(name, task, labels, **config)  # fresh instance per fold
        adapter.fit([texts[i] for i in train], [targets[i] for i in train])
        probs = adapter.predict_proba([texts[i] for i in test])
        tag_names = list(adapter.labels)
        for j, i in enumerate(test):
            out[i] = probs[j]
        meter(f + 1)
    if task == "ner":
        return out, tag_names
    return np.asarray(out, dtype=float), tag_names
