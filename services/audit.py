"""Label audit: out-of-fold probabilities + cleanlab, stored as audits / audit_issues rows.

Never in-sample: every probability that scores a record comes from a model
that did not see that record's label (stratified K-fold). The default model
works on cached sentence embeddings, so an audit costs one embedding pass
(cached) plus a few seconds of scikit-learn.

Array-level functions (``oof_*``, ``classification_issues``,
``multilabel_issues``, ``ner_issues``, ``data_checks``) take plain arrays;
:func:`run_audit` loads a project's labels, runs them and stores the result;
:func:`start_audit_job` runs it in a background thread with its own Store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from workbench.errors import ValidationError
from workbench.store.annotations import LIVE
from workbench.store.base import dumps, loads, now
from workbench.text import bio_tags, spans_to_bio, tokenize

SOURCES = ("annotations", "reference")
#: Out-of-fold models computed directly on the embedding matrix (no re-encoding per fold).
#: ``hybrid`` also reads the texts: mean of the embedding logreg and a TF-IDF word
#: 1-2-gram logreg (the benchmark in services/bench_audit.py shows it beats plain).
EMBEDDING_MODELS = ("hybrid", "logreg", "knn", "ensemble")
DEFAULT_MODEL = "hybrid"
#: Below this many labelled texts the TF-IDF view has too little data to learn
#: word weights and only adds noise; hybrid is then the embedding logreg alone.
HYBRID_MIN_TEXTS = 200
ISSUE_COLUMNS = ("id, audit_id, project_id, record_id, issue_type, given, suggested, quality, is_issue,"
                 " details, created_at")
ProgressFn = Callable[[float, str], None]


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------
@dataclass
class AuditConfig:
    """How an audit is run; stored with every audit row.

    Attributes
    ----------
    source : "annotations" (current human labels) or "reference" (imported labels).
    folds : K of the stratified K-fold that yields out-of-fold probabilities.
    model : "hybrid" (default: mean of logreg on cached embeddings and logreg on
        TF-IDF word n-grams), "logreg", "knn", "ensemble" (logreg + cosine kNN),
        or any adapter registry name (re-trained per fold).
    encoder : sentence-embedding model for features, neighbours and duplicates.
    seed : fold shuffling seed.
    neighbours : nearest labelled neighbours kept per issue.
    """

    source: str = "annotations"
    folds: int = 5
    model: str = DEFAULT_MODEL
    encoder: str = "minilm"
    seed: int = 0
    neighbours: int = 3
    adapter_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValidationError(f"unknown label source {self.source!r}; valid: {', '.join(SOURCES)}")
        if not isinstance(self.folds, int) or self.folds < 2:
            raise ValidationError(f"folds must be an integer >= 2, got {self.folds!r}")
        if not self.model:
            raise ValidationError("model must be a name, e.g. 'logreg'")
        if self.neighbours < 0:
            raise ValidationError("neighbours must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------
# out-of-fold probabilities
# ---------------------------------------------------------------------------
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
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class has only k members"
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for k, (_, test) in enumerate(splitter.split(np.zeros(n), strat)):
            assignment[test] = k
    return assignment


def oof_probabilities(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], n: int, k: int,
                      assignment: np.ndarray, progress: ProgressFn | None = None) -> np.ndarray:
    """Out-of-fold (N, K) probabilities.

    Parameters
    ----------
    fit_predict : callable(train_idx, test_idx) -> (len(test_idx), K) probabilities
        Must train only on ``train_idx``; it is called once per fold.
    assignment : (N,) fold index per example, from :func:`fold_assignment`.
    """
    out = np.full((n, k), np.nan)
    folds = int(assignment.max()) + 1
    for f in range(folds):
        test = np.flatnonzero(assignment == f)
        train = np.flatnonzero(assignment != f)
        out[test] = fit_predict(train, test)
        if progress:
            progress((f + 1) / folds, f"fold {f + 1}/{folds}")
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


def oof_embedding_probabilities(X: np.ndarray, y: np.ndarray, k: int, *, model: str = DEFAULT_MODEL,
                                folds: int = 5, seed: int = 0, texts: Sequence[str] | None = None,
                                progress: ProgressFn | None = None) -> np.ndarray:
    """Out-of-fold (N, K) class probabilities from a model on fixed features.

    Parameters
    ----------
    X : (N, D) float features (L2-normalised sentence embeddings).
    y : (N,) int given labels in 0..K-1.
    model : "hybrid" (logreg on X + logreg on TF-IDF of ``texts``), "logreg",
        "knn" or "ensemble" (logreg + kNN).
    texts : the N texts; needed by "hybrid".
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=int)
    if len(X) != len(y):
        raise ValidationError(f"features have {len(X)} rows but there are {len(y)} labels")
    if model not in EMBEDDING_MODELS:
        raise ValidationError(f"unknown embedding model {model!r}; valid: {', '.join(EMBEDDING_MODELS)}")
    if model == "hybrid" and (texts is None or len(texts) != len(y)):
        raise ValidationError("the hybrid model needs the texts (one per label)")
    assignment = fold_assignment(y, folds, seed)
    parts = []
    if model in ("logreg", "ensemble", "hybrid"):
        parts.append(oof_probabilities(_logreg_fit_predict(X, y, k), len(y), k, assignment, progress))
    if model == "hybrid" and len(y) >= HYBRID_MIN_TEXTS:
        try:
            parts.append(oof_probabilities(_tfidf_fit_predict(list(texts), y, k), len(y), k, assignment))
        except ValueError:  # no usable vocabulary (e.g. only stop words): embeddings alone
            pass
    if model in ("knn", "ensemble"):
        parts.append(oof_probabilities(_knn_fit_predict(X, y, k), len(y), k, assignment))
    return np.mean(parts, axis=0)


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
    for f in range(folds):
        test = np.flatnonzero(assignment == f)
        train = np.flatnonzero(assignment != f)
        adapter = get_adapter(name, task, labels, **config)  # fresh instance per fold
        adapter.fit([texts[i] for i in train], [targets[i] for i in train])
        probs = adapter.predict_proba([texts[i] for i in test])
        tag_names = list(adapter.labels)
        for j, i in enumerate(test):
            out[i] = probs[j]
        if progress:
            progress((f + 1) / folds, f"fold {f + 1}/{folds} ({name})")
    if task == "ner":
        return out, tag_names
    return np.asarray(out, dtype=float), tag_names


# ---------------------------------------------------------------------------
# cleanlab on arrays
# ---------------------------------------------------------------------------
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
    is_issue = find_label_issues(y, pred_probs, filter_by="prune_by_noise_rate")
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
        is_issue = np.asarray(find_label_issues(given, p), dtype=bool)
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
    flagged = find_label_issues([labels[i] for i in keep], [probs[i] for i in keep])
    return sentence_quality, token_quality, [(keep[s], int(t)) for s, t in flagged]


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
    import logging

    from cleanlab import Datalab

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
    logging.getLogger("cleanlab").setLevel(logging.ERROR)
    kwargs = {"features": features, "issue_types": issue_types}
    lab.find_issues(**kwargs)
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


# ---------------------------------------------------------------------------
# store: load labels, run, persist
# ---------------------------------------------------------------------------
def labelled_records(store, project, source: str) -> list[tuple[Any, Any]]:
    """(Record, given value) of every non-excluded record labelled in ``source``, in import order."""
    if source not in SOURCES:
        raise ValidationError(f"unknown label source {source!r}; valid: {', '.join(SOURCES)}")
    out = []
    if source == "annotations":
        for rec in store.iter_records(project.id, where="status = 'labelled' AND excluded = 0"):
            out.append((rec, rec.label))
    else:
        refs = store.reference_labels(project.id)
        for rec in store.iter_records(project.id, where="excluded = 0"):
            if rec.id in refs:
                out.append((rec, refs[rec.id]))
    return out


def run_audit(store, project, config: AuditConfig | None = None, progress: ProgressFn | None = None) -> int:
    """Audit a project's labels and store the result; return the new audit id.

    Every labelled (non-excluded) record gets one ``audit_issues`` row with its
    quality score; ``is_issue`` marks cleanlab's flagged set, and ``details``
    keeps the out-of-fold probabilities, neighbours, duplicates and a reason.
    """
    config = config or AuditConfig()
    report = progress or (lambda frac, msg: None)
    items = labelled_records(store, project, config.source)
    if not items:
        hint = ("label some records first" if config.source == "annotations"
                else "import a file with a label column first")
        raise ValidationError(f"project {project.name!r} has no {config.source} labels to audit; {hint}")
    if project.task == "ner":
        result = _audit_ner(store, project, items, config, report)
    else:
        result = _audit_classes(store, project, items, config, report)
    report(0.95, "saving")
    return _save(store, project, config, result)


def _embed(store, texts: list[str], config: AuditConfig, report: ProgressFn) -> np.ndarray:
    from services.embeddings import embed

    def on_batch(done, total):
        report(0.05 + 0.35 * done / max(total, 1), f"embedding {done}/{total}")

    return np.asarray(embed(texts, config.encoder, store=store, progress=on_batch), dtype=np.float32)


def _audit_classes(store, project, items, config: AuditConfig, report: ProgressFn) -> dict[str, Any]:
    labels = list(project.labels)
    index = {name: i for i, name in enumerate(labels)}
    texts = [rec.text for rec, _ in items]
    multilabel = project.task == "multilabel"
    X = _embed(store, texts, config, report)
    k = len(labels)

    def fold_report(frac, msg):
        report(0.4 + 0.45 * frac, msg)

    if multilabel:
        given_sets = [[index[v] for v in value] for _, value in items]
        Y = np.zeros((len(items), k), dtype=int)
        for i, g in enumerate(given_sets):
            Y[i, g] = 1
        strat = Y.argmax(axis=1) + Y.sum(axis=1) * k  # first label and count: a rough stratum
        if config.model in EMBEDDING_MODELS:
            cols = [oof_embedding_probabilities(X, Y[:, c], 2, model=config.model, folds=config.folds,
                                                seed=config.seed, texts=texts)[:, 1] for c in range(k)]
            probs = np.stack(cols, axis=1)
        else:
            probs, _ = oof_adapter_probabilities(config.model, project.task, labels, texts,
                                                 [v for _, v in items], strat, folds=config.folds,
                                                 seed=config.seed, progress=fold_report, **config.adapter_config)
        quality, is_issue = multilabel_issues(given_sets, probs)
        suggested = [[labels[c] for c in np.flatnonzero(row >= 0.5)] for row in probs]
        noise_rate = {labels[c]: float(np.mean((probs[:, c] >= 0.5) != Y[:, c].astype(bool))) for c in range(k)}
        overlapping: list = []
        y_for_checks = None
    else:
        y = np.array([index[v] for _, v in items], dtype=int)
        if config.model in EMBEDDING_MODELS:
            probs = oof_embedding_probabilities(X, y, k, model=config.model, folds=config.folds,
                                                seed=config.seed, texts=texts, progress=fold_report)
        else:
            probs, _ = oof_adapter_probabilities(config.model, project.task, labels, texts, [v for _, v in items],
                                                 y, folds=config.folds, seed=config.seed, progress=fold_report,
                                                 **config.adapter_config)
        res = classification_issues(y, probs, labels)
        quality, is_issue = res.quality, res.is_issue
        suggested = [labels[c] for c in res.suggested]
        noise_rate, overlapping = res.noise_rate, res.overlapping
        y_for_checks = y
    report(0.88, "duplicates and outliers")
    checks = data_checks(X, y_for_checks)
    nbr_idx, nbr_sim = neighbour_table(X, config.neighbours)
    given_values = [v for _, v in items]
    dup_of: dict[int, list[int]] = {}
    duplicates = []
    for group in checks["duplicate_sets"]:
        conflict = len({dumps(given_values[i]) for i in group}) > 1
        duplicates.append({"indices": group, "conflict": conflict})
        for i in group:
            dup_of[i] = [j for j in group if j != i]
    rows = []
    for i, (rec, given) in enumerate(items):
        p = probs[i]
        nbrs = [{"record_id": items[j][0].id, "label": given_values[j], "similarity": float(s),
                 "text": items[j][0].text[:200]} for j, s in zip(nbr_idx[i], nbr_sim[i])]
        conflict = any(dumps(given_values[j]) != dumps(given) for j in dup_of.get(i, []))
        if multilabel:
            sug_prob = None
        else:
            sug_prob = float(p[index[suggested[i]]])
        from services.explain import issue_reason

        reason = issue_reason(given, suggested[i], sug_prob, [n["label"] for n in nbrs],
                              duplicate_conflict=conflict)
        flagged = bool(is_issue[i]) or conflict
        rows.append({
            "record_id": rec.id, "issue_type": "label" if is_issue[i] else ("duplicate" if conflict else "label"),
            "given": given, "suggested": suggested[i], "quality": float(quality[i]), "is_issue": flagged,
            "details": {"probs": {labels[c]: round(float(p[c]), 4) for c in range(k)}, "neighbours": nbrs,
                        "duplicates": [items[j][0].id for j in dup_of.get(i, [])], "duplicate_conflict": conflict,
                        "outlier_score": float(checks["outlier_score"][i]), "reason": reason,
                        "external_id": rec.external_id},
        })
    counts: dict[str, int] = {}
    for r in rows:
        if r["is_issue"]:
            for name in (r["given"] if multilabel else [r["given"]]):
                counts[name] = counts.get(name, 0) + 1
    summary = {
        "n_audited": len(rows), "n_issues": int(sum(r["is_issue"] for r in rows)), "noise_rate": noise_rate,
        "overlapping_classes": overlapping, "issues_per_class": counts, "class_imbalance": checks["class_imbalance"],
        "duplicates": [{"record_ids": [items[j][0].id for j in d["indices"]], "conflict": d["conflict"]}
                       for d in duplicates],
        "outliers": [items[j][0].id for j in checks["outliers"][:50]],
    }
    return {"rows": rows, "summary": summary}


# -- NER ---------------------------------------------------------------------
def _audit_ner(store, project, items, config: AuditConfig, report: ProgressFn) -> dict[str, Any]:
    from services.explain import span_probabilities

    tag_names = bio_tags(project.labels)
    tag_index = {t: i for i, t in enumerate(tag_names)}
    tokens = [tokenize(rec.text) for rec, _ in items]
    token_labels = [[tag_index[t] for t in spans_to_bio(toks, value)[0]] for toks, (_, value) in zip(tokens, items)]
    strat = np.array([min(sum(1 for t in tl if t), 3) for tl in token_labels])  # entity count bucket
    if config.model in EMBEDDING_MODELS:
        probs = oof_token_probabilities(store, [t for t in tokens], [rec.text for rec, _ in items], token_labels,
                                        len(tag_names), folds=config.folds, seed=config.seed,
                                        encoder=config.encoder, progress=lambda f, m: report(0.1 + 0.75 * f, m))
    else:
        raw, adapter_tags = oof_adapter_probabilities(config.model, "ner", project.labels,
                                                      [rec.text for rec, _ in items], [v for _, v in items],
                                                      strat, folds=config.folds, seed=config.seed,
                                                      **config.adapter_config)
        probs = [_align_tags(np.asarray(p), adapter_tags, tag_names, len(t)) for p, t in zip(raw, tokens)]
    sentence_q, token_q, flagged = ner_issues(token_labels, probs)
    flagged_by_sentence: dict[int, list[int]] = {}
    for s, t in flagged:
        flagged_by_sentence.setdefault(s, []).append(t)
    rows = []
    for i, (rec, given) in enumerate(items):
        sug_spans = span_probabilities(tokens[i], probs[i], tag_names) if len(tokens[i]) else []
        suggested = [{"start": sp["start"], "end": sp["end"], "label": sp["label"]} for sp in sug_spans]
        bad = flagged_by_sentence.get(i, [])
        suspicious = [{"token": tokens[i][t][0], "start": tokens[i][t][1], "end": tokens[i][t][2],
                       "given": tag_names[token_labels[i][t]], "suggested": tag_names[int(np.argmax(probs[i][t]))],
                       "quality": float(token_q[i][t])} for t in bad]
        reason = "; ".join(f"'{s['token']}' tagged {s['given']}; model says {s['suggested']}" for s in suspicious[:3])
        rows.append({
            "record_id": rec.id, "issue_type": "tokens", "given": given, "suggested": suggested,
            "quality": float(sentence_q[i]), "is_issue": bool(bad),
            "details": {"suspicious_tokens": suspicious, "suggested_spans": sug_spans,
                        "token_quality": [round(float(q), 4) for q in token_q[i]],
                        "reason": reason or "no suspicious tokens", "external_id": rec.external_id},
        })
    counts: dict[str, int] = {}
    for r in rows:
        for s in r["details"]["suspicious_tokens"]:
            name = s["given"].split("-", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
    summary = {"n_audited": len(rows), "n_issues": int(sum(r["is_issue"] for r in rows)),
               "n_token_issues": len(flagged), "issues_per_class": counts, "noise_rate": {}, "duplicates": []}
    return {"rows": rows, "summary": summary}


def _align_tags(p: np.ndarray, have: Sequence[str], want: Sequence[str], n_tokens: int) -> np.ndarray:
    """Reorder an adapter's (T, K') tag columns to ``want`` and check the token count."""
    if p.shape[0] != n_tokens:
        raise ValidationError(f"the NER model returned {p.shape[0]} token rows for a text of {n_tokens} words; "
                              "it must tag the tokens of workbench.text.tokenize")
    out = np.full((n_tokens, len(want)), 1e-6)
    for j, tag in enumerate(have):
        if tag in want:
            out[:, list(want).index(tag)] = p[:, j]
    return out / out.sum(axis=1, keepdims=True)


def token_features(texts: Sequence[str], tokens: Sequence[Sequence[tuple[str, int, int]]],
                   encoder: str = "minilm", batch_size: int = 32) -> list[np.ndarray]:
    """Contextual (T_i, D) word vectors: the encoder's sub-word states averaged per word.

    Uses the transformer body of the sentence-embedding model (offline
    packaged MiniLM by default, the same loaded instance as
    :func:`services.embeddings.embed`); heavy imports stay inside.
    """
    import torch

    from services.embeddings import load_encoder

    # Reuse the process-wide sentence encoder (one model load for sentence and word vectors).
    body = load_encoder(encoder)[0]
    tok, model = body.tokenizer, body.auto_model
    model.eval()
    device = next(model.parameters()).device
    out: list[np.ndarray] = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start:start + batch_size])
            enc = tok(chunk, return_tensors="pt", padding=True, truncation=True, max_length=128,
                      return_offsets_mapping=True)
            offsets = enc.pop("offset_mapping").numpy()
            enc = {key: v.to(device) for key, v in enc.items()}
            hidden = model(**enc).last_hidden_state.float().cpu().numpy()
            for b, text_tokens in enumerate(tokens[start:start + batch_size]):
                vecs = np.zeros((len(text_tokens), hidden.shape[-1]), dtype=np.float32)
                for t, (_, s, e) in enumerate(text_tokens):
                    sel = (offsets[b, :, 1] > s) & (offsets[b, :, 0] < e) & (offsets[b, :, 1] > offsets[b, :, 0])
                    if sel.any():
                        vecs[t] = hidden[b, sel].mean(axis=0)
                out.append(vecs)
    return out


def oof_token_probabilities(store, tokens, texts, token_labels, k: int, *, folds: int = 5, seed: int = 0,
                            encoder: str = "minilm", progress: ProgressFn | None = None,
                            features: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Out-of-fold (T_i, K) tag probabilities from a logistic regression on contextual word vectors.

    Folds are over sentences (all tokens of a sentence are left out together).
    """
    from sklearn.linear_model import LogisticRegression

    feats = features if features is not None else token_features(texts, tokens, encoder)
    strat = np.array([min(sum(1 for t in tl if t), 3) for tl in token_labels])
    assignment = fold_assignment(strat, folds, seed)
    lengths = np.array([len(t) for t in token_labels])
    sent_of_token = np.repeat(np.arange(len(token_labels)), lengths)
    Xt = np.concatenate([f for f in feats if len(f)]) if lengths.sum() else np.zeros((0, 1))
    yt = np.concatenate([np.asarray(t, dtype=int) for t in token_labels if len(t)]) if lengths.sum() else np.zeros(0)
    probs_flat = np.zeros((len(yt), k))
    for f in range(folds):
        test_tok = assignment[sent_of_token] == f
        clf = LogisticRegression(C=1.0, max_iter=300)
        clf.fit(Xt[~test_tok], yt[~test_tok])
        probs_flat[test_tok] = _full_columns(clf.predict_proba(Xt[test_tok]), clf.classes_, k)
        if progress:
            progress((f + 1) / folds, f"fold {f + 1}/{folds}")
    out, pos = [], 0
    for n in lengths:
        out.append(probs_flat[pos:pos + n])
        pos += n
    return out


def _save(store, project, config: AuditConfig, result: dict[str, Any]) -> int:
    model_version = f"{config.model}@{config.encoder}/{config.folds}-fold/seed{config.seed}"
    stamp = now()
    with store.atomic():
        cur = store.execute(
            "INSERT INTO audits (project_id, source, config, summary, model_version, created_at)"
            " VALUES (?,?,?,?,?,?)",
            (project.id, config.source, dumps(config.to_dict()), dumps(result["summary"]), model_version, stamp))
        audit_id = cur.lastrowid
        for r in result["rows"]:
            store.execute(
                "INSERT INTO audit_issues (audit_id, project_id, record_id, issue_type, given, suggested, quality,"
                " is_issue, details, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (audit_id, project.id, r["record_id"], r["issue_type"], dumps(r["given"]), dumps(r["suggested"]),
                 r["quality"], int(r["is_issue"]), dumps(r["details"]), stamp))
    return audit_id


# ---------------------------------------------------------------------------
# background job
# ---------------------------------------------------------------------------
def start_audit_job(store, project, config: AuditConfig | None = None) -> tuple[int, threading.Thread]:
    """Queue an audit job and run it in a daemon thread with its own Store; return (job id, thread).

    Raises ConflictError if an audit of this project is already queued/running.
    """
    from workbench.store import Store

    config = config or AuditConfig()
    job_id = store.create_job(project, "audit", config.to_dict())
    path = store.path

    def work():
        with Store(path) as own:
            own.start_job(job_id)
            last = [0.0]

            def progress(frac, msg):
                if time.monotonic() - last[0] > 0.5 or frac >= 1:  # don't hammer the DB
                    last[0] = time.monotonic()
                    own.update_job(job_id, frac, msg)

            try:
                audit_id = run_audit(own, own.get_project(project.id), config, progress)
                own.finish_job(job_id, {"audit_id": audit_id, **summary(own, audit_id)})
            except Exception as exc:  # any failure must end the job, with a readable message
                own.fail_job(job_id, str(exc) or type(exc).__name__)

    thread = threading.Thread(target=work, name=f"audit-{project.id}", daemon=True)
    thread.start()
    return job_id, thread


# ---------------------------------------------------------------------------
# reading audits back
# ---------------------------------------------------------------------------
def _decode_issue(row: dict[str, Any]) -> dict[str, Any]:
    row["given"], row["suggested"] = loads(row["given"]), loads(row["suggested"])
    row["details"] = loads(row["details"]) or {}
    row["is_issue"] = bool(row["is_issue"])
    return row


def latest_audit(store, project) -> dict[str, Any] | None:
    """The project's most recent audit row (config and summary decoded), or None."""
    row = store.one("SELECT * FROM audits WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project.id,))
    if row is None:
        return None
    row["config"], row["summary"] = loads(row["config"]), loads(row["summary"])
    return row


def get_audit(store, audit_id: int) -> dict[str, Any]:
    row = store.one("SELECT * FROM audits WHERE id = ?", (audit_id,))
    if row is None:
        from workbench.errors import NotFoundError

        raise NotFoundError(f"no audit {audit_id}")
    row["config"], row["summary"] = loads(row["config"]), loads(row["summary"])
    return row


def summary(store, audit_id: int) -> dict[str, Any]:
    """Counts of an audit: audited, flagged, decided (has a review annotation)."""
    audited = store.scalar("SELECT COUNT(*) FROM audit_issues WHERE audit_id = ?", (audit_id,))
    flagged = store.scalar("SELECT COUNT(*) FROM audit_issues WHERE audit_id = ? AND is_issue = 1", (audit_id,))
    decided = store.scalar(
        "SELECT COUNT(DISTINCT i.id) FROM audit_issues i JOIN annotations a ON a.audit_issue_id = i.id"
        " WHERE i.audit_id = ? AND a.kind IN ('relabel','keep','ambiguous','exclude')", (audit_id,))
    return {"audited": audited, "flagged": flagged, "decided": decided}


def issues(store, audit_id: int, *, flagged_only: bool = True, undecided_only: bool = False,
           limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Audit entries, most suspicious (lowest quality) first; paginated."""
    where = " AND i.is_issue = 1" if flagged_only else ""
    if undecided_only:
        where += (" AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.audit_issue_id = i.id"
                  f" AND a.kind IN ('relabel','keep','ambiguous','exclude') AND {LIVE})")
    cols = ", ".join("i." + c.strip() for c in ISSUE_COLUMNS.split(","))
    rows = store.query(
        f"SELECT {cols} FROM audit_issues i WHERE i.audit_id = ?{where} ORDER BY i.quality, i.id LIMIT ? OFFSET ?",
        (audit_id, limit, offset))
    return [_decode_issue(r) for r in rows]


def record_issue(store, project, record_id: int) -> dict[str, Any] | None:
    """The latest audit's entry for one record (flagged or merely scored), or None."""
    audit = latest_audit(store, project)
    if audit is None:
        return None
    row = store.one(f"SELECT {ISSUE_COLUMNS} FROM audit_issues WHERE audit_id = ? AND record_id = ?"
                    " ORDER BY is_issue DESC, id LIMIT 1", (audit["id"], record_id))
    return None if row is None else _decode_issue(row)


DECISIONS = ("keep", "relabel", "ambiguous", "exclude")


def decide(store, project, issue_id: int, annotator: str, decision: str, value: Any = None) -> int:
    """Record a review decision on an audit issue as an append-only annotation row; return its id.

    ``relabel`` needs ``value``; ``keep`` confirms the given label (stored as its value).
    """
    if decision not in DECISIONS:
        raise ValidationError(f"unknown decision {decision!r}; valid: {', '.join(DECISIONS)}")
    row = store.one("SELECT record_id, given, project_id FROM audit_issues WHERE id = ?", (issue_id,))
    if row is None or row["project_id"] != project.id:
        from workbench.errors import NotFoundError

        raise NotFoundError(f"no audit issue {issue_id} in project {project.name!r}")
    if decision == "relabel" and value is None:
        raise ValidationError("relabel needs the new label")
    if decision == "keep":
        value = loads(row["given"])
    elif decision != "relabel":
        value = None
    return store.annotate(project, row["record_id"], annotator, decision, value, audit_issue_id=issue_id)


def report(store, audit_id: int) -> dict[str, Any]:
    """JSON-ready audit report: flagged issues (most suspicious first), noise rates, duplicates, all scores."""
    meta = get_audit(store, audit_id)
    rows = store.query(
        "SELECT i.record_id, r.external_id, r.text, i.given, i.suggested, i.quality, i.is_issue, i.details"
        " FROM audit_issues i JOIN records r ON r.id = i.record_id WHERE i.audit_id = ? ORDER BY i.quality, i.id",
        (audit_id,))
    out_issues, scores = [], []
    for r in rows:
        scores.append({"external_id": r["external_id"], "quality": r["quality"]})
        if r["is_issue"]:
            out_issues.append({"record_id": r["record_id"], "external_id": r["external_id"], "text": r["text"],
                               "given": loads(r["given"]), "suggested": loads(r["suggested"]),
                               "quality": r["quality"], "reason": (loads(r["details"]) or {}).get("reason", "")})
    return {"audit_id": audit_id, "issues": out_issues, "noise_rate": meta["summary"].get("noise_rate", {}),
            "duplicates": meta["summary"].get("duplicates", []), "scores": scores}


def issue_confusion(store, audit_id: int) -> list[dict[str, Any]]:
    """Flagged issues counted by (given, suggested) value: rows of given, suggested, count."""
    rows = store.query("SELECT given, suggested, COUNT(*) AS n FROM audit_issues WHERE audit_id = ? AND is_issue = 1"
                       " GROUP BY given, suggested", (audit_id,))
    return [{"given": _short(loads(r["given"])), "suggested": _short(loads(r["suggested"])), "count": r["n"]}
            for r in rows]


def _short(value: Any) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ",".join(sorted({v["label"] for v in value})) or "(none)"
        return ",".join(value) or "(none)"
    return str(value)


def record_texts(store, record_ids: Sequence[int]) -> dict[int, str]:
    """record id -> text, for showing neighbours and duplicates."""
    return {r.id: r.text for r in store.get_records(list(record_ids))}
