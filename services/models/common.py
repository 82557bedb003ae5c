"""Pieces every adapter shares: config base, target encoding, input checks,
the saved-folder metadata, and a numpy linear head saved without pickle.

A saved adapter folder always holds ``adapter.json``::

    {"format": 1, "adapter": "logreg", "task": "classification",
     "labels": [...], "config": {...}}

plus the adapter's own weights as safetensors (never pickle: a model folder
may come from someone else).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from services.device import check_device
from workbench.config import ConfigMixin
from workbench.errors import NotFoundError, ValidationError
from workbench.types import ProgressFn, check_labels, check_task  # noqa: F401  (ProgressFn: re-exported for adapters)

META_FILE = "adapter.json"
HEAD_FILE = "head.safetensors"  # where adapters save their LinearHead
FORMAT = 1



@dataclass
class AdapterConfig(ConfigMixin):
    """Settings shared by the trainable adapters; subclasses add their own.

    Attributes
    ----------
    base_model : str
        What the fine-tuned weights start from: ``"minilm"`` (packaged), a local folder or a hub id.
    epochs : int
        Passes over the training data.
    batch_size : int
        Examples per optimisation step.
    lr : float
        Learning rate of the fine-tuned weights.
    seed : int
        Seeds Python, numpy and torch, so retrains are repeatable.
    device : str
        ``auto`` (CUDA, then MPS, then CPU), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
    fp16 : bool
        Mixed precision on a GPU (bf16 where supported, else fp16); ignored on CPU.
    max_length : int
        Longest input in tokens; longer inputs are truncated.
    """

    renamed_keys: ClassVar[dict[str, str]] = {"model": "base_model"}

    base_model: str = "minilm"
    epochs: int = 1
    batch_size: int = 16
    lr: float = 5e-5
    seed: int = 0
    device: str = "auto"
    fp16: bool = True
    max_length: int = 128

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "max_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValidationError(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.fp16, bool):
            raise ValidationError(f"fp16 must be true or false, got {self.fp16!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValidationError(f"seed must be an integer, got {self.seed!r}")
        if not isinstance(self.lr, (int, float)) or not 0 < self.lr < 1:
            raise ValidationError(f"lr must be a number in (0, 1), got {self.lr!r}")
        if not isinstance(self.base_model, str) or not self.base_model.strip():
            raise ValidationError("base_model must be 'minilm', a local folder or a hub id")
        self.device = check_device(self.device)


def portable_device(device: str) -> str:
    """``device`` if usable here, else ``"auto"``: a model trained on a GPU box still loads on a laptop."""
    from services.device import resolve_device

    try:
        resolve_device(device)
    except ValidationError:
        return "auto"
    return device


def check_task_labels(task: str, labels: Sequence[str], supported: Sequence[str], name: str) -> list[str]:
    """Validate task (against what adapter ``name`` supports) and label schema."""
    check_task(task)
    if task not in supported:
        raise ValidationError(f"adapter {name!r} does not support task {task!r}; it supports: {', '.join(supported)}")
    return check_labels(labels)


def check_texts(texts: Sequence[str], what: str = "texts") -> list[str]:
    if isinstance(texts, str):
        raise ValidationError(f"{what} must be a list of strings, not one string")
    texts = list(texts)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValidationError(f"{what}[{bad}] is {type(texts[bad]).__name__}, expected str")
    return texts


def encode_targets(task: str, labels: Sequence[str], targets: Sequence[Any], n: int) -> np.ndarray:
    """Targets as arrays: classification -> (N,) int column index; multilabel -> (N, K) {0, 1} float32."""
    targets = list(targets)
    if len(targets) != n:
        raise ValidationError(f"got {n} texts but {len(targets)} targets; they must pair up")
    index = {label: i for i, label in enumerate(labels)}
    if task == "classification":
        for row, value in enumerate(targets):
            if not isinstance(value, str) or value not in index:
                raise ValidationError(f"target {value!r} (row {row}) is not one of the labels {list(labels)}")
        return np.array([index[t] for t in targets], dtype=np.int64)
    out = np.zeros((n, len(labels)), dtype=np.float32)
    for row, value in enumerate(targets):
        if isinstance(value, str) or not isinstance(value, (list, tuple, set)):
            raise ValidationError(f"multilabel target {row} must be a list of labels, got {value!r}")
        for label in value:
            if label not in index:
                raise ValidationError(f"target label {label!r} (row {row}) is not one of the labels {list(labels)}")
            out[row, index[label]] = 1.0
    return out


def write_meta(path: Path, adapter: str, task: str, labels: Sequence[str], config: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    meta = {"format": FORMAT, "adapter": adapter, "task": task, "labels": list(labels), "config": config}
    (path / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")


def read_meta(path: Path, adapter: str) -> dict[str, Any]:
    file = Path(path) / META_FILE
    if not file.is_file():
        raise NotFoundError(f"{path} is not a saved model folder (no {META_FILE}); train a model first")
    meta = json.loads(file.read_text(encoding="utf-8"))
    if meta.get("adapter") != adapter:
        raise ValidationError(f"{path} holds a {meta.get('adapter')!r} model, not {adapter!r}")
    if meta.get("format") != FORMAT:
        raise ValidationError(f"{path} was saved in format {meta.get('format')}; this version reads format {FORMAT}")
    return meta


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


class LinearHead:
    """Logistic-regression head over fixed embeddings, stored as plain arrays.

    Trained with scikit-learn, then kept as ``weights`` (D, K) and ``bias`` (K,)
    so it saves as safetensors and predicts with numpy. Classes absent from the
    training data get probability 0 (classification) or a constant equal to
    their training frequency (multilabel), so outputs always have K columns.
    """

    def __init__(self, task: str, n_labels: int, weights: np.ndarray, bias: np.ndarray, active: np.ndarray):
        self.task, self.n_labels = task, n_labels
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.active = active.astype(bool)  # classification: column seen in training

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, task: str, n_labels: int, C: float = 1.0,
            max_iter: int = 1000, class_weight: str | None = "balanced", seed: int = 0) -> LinearHead:
        """Fit on ``X`` (N, D) with ``y`` (N,) int indices or (N, K) {0, 1}."""
        from sklearn.linear_model import LogisticRegression

        d = X.shape[1]
        weights = np.zeros((d, n_labels), dtype=np.float64)
        if task == "classification":
            present = np.unique(y)
            bias = np.full(n_labels, -np.inf)
            active = np.zeros(n_labels, dtype=bool)
            active[present] = True
            if len(present) == 1:
                bias[present[0]] = 0.0
            else:
                clf = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight, random_state=seed)
                clf.fit(X, y)
                if len(present) == 2:  # sklearn's binary form: one row for classes_[1]
                    weights[:, present[1]] = clf.coef_[0]
                    bias[present[0]], bias[present[1]] = 0.0, clf.intercept_[0]
                else:
                    weights[:, clf.classes_] = clf.coef_.T
                    bias[clf.classes_] = clf.intercept_
            return cls(task, n_labels, weights, bias, active)
        bias = np.zeros(n_labels)
        for k in range(n_labels):
            col = y[:, k]
            if col.min() == col.max():  # one value only: predict its smoothed frequency
                p = (col.sum() + 0.5) / (len(col) + 1.0)
                bias[k] = np.log(p / (1 - p))
                continue
            clf = LogisticRegression(C=C, max_iter=max_iter, class_weight=class_weight, random_state=seed)
            clf.fit(X, col.astype(np.int64))
            weights[:, k], bias[k] = clf.coef_[0], clf.intercept_[0]
        return cls(task, n_labels, weights, bias, np.ones(n_labels, dtype=bool))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(N, D) embeddings -> (N, K) probabilities (rows sum to 1 for classification)."""
        z = X.astype(np.float32) @ self.weights + self.bias
        if self.task == "classification":
            z = np.where(self.active, z, -np.inf)
            return _softmax(z).astype(np.float32)
        return _sigmoid(z).astype(np.float32)

    def state(self) -> dict[str, np.ndarray]:
        # -inf biases mark unseen classes; store them finite plus the mask.
        return {"weights": self.weights, "bias": np.where(np.isfinite(self.bias), self.bias, 0).astype(np.float32),
                "active": self.active.astype(np.uint8)}

    def save(self, file: Path) -> None:
        from safetensors.numpy import save_file

        save_file(self.state(), str(file))

    @classmethod
    def load(cls, file: Path, task: str, n_labels: int) -> LinearHead:
        from safetensors.numpy import load_file

        s = load_file(str(file))
        active = s["active"].astype(bool)
        bias = np.where(active, s["bias"], -np.inf) if task == "classification" else s["bias"]
        return cls(task, n_labels, s["weights"], bias, active)


#: ``mixing_weights``' default grid spacing (quarters: 0, .25, .5, .75, 1 for the first of two views)
MIX_STEP = 0.25
#: rows of given-label probabilities scored against the whole weight grid at once
MIX_CHUNK = 8192


def weight_grid(views: int, step: float) -> np.ndarray:
    """(G, V) every weight vector of ``views`` non-negative multiples of ``step`` that sum to 1."""
    m = round(1 / step)
    rows = [(*c, m - sum(c)) for c in itertools.product(range(m + 1), repeat=views - 1) if sum(c) <= m]
    return np.array(rows, dtype=float) / m


def mixing_weights(views_probs: Sequence[np.ndarray], y: np.ndarray, step: float = MIX_STEP) -> np.ndarray:
    """(V,) weights of the views' out-of-fold probabilities: the point of :func:`weight_grid` whose mixture
    has the lowest log-loss on the given labels (noisy as they are, random flips cost every mixture alike,
    so the views that predict the rest better win).

    Parameters
    ----------
    views_probs : V arrays (N, K) of probabilities.
    y : (N,) int given labels.
    step : grid spacing of the weights.
    """
    if len(views_probs) == 1:
        return np.ones(1)
    rows = np.arange(len(y))
    given = np.stack([p[rows, y] for p in views_probs], axis=1)  # (N, V): each view's probability of the label
    grid = weight_grid(len(views_probs), step)
    total = np.zeros(len(grid))
    for start in range(0, len(y), MIX_CHUNK):  # (chunk, G) at a time: a big audit's N x G would not fit
        total -= np.log(np.clip(given[start:start + MIX_CHUNK] @ grid.T, 1e-12, None)).sum(axis=0)
    # rounded so that views giving the same probabilities tie exactly; ties go to the most even mix
    losses = np.round(total / max(len(y), 1), 10)
    spread = ((grid - 1 / len(views_probs)) ** 2).sum(axis=1)
    return grid[np.lexsort((spread, losses))[0]]
