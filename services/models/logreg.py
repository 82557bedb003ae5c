"""``logreg``: logistic regression on cached sentence embeddings — the instant model.

Training is a scikit-learn fit on (N, 384) MiniLM vectors (well under a second
for hundreds of labels); the encoder is never fine-tuned, and with a store the
vectors come from the embedding cache. Multilabel is one-vs-rest: one binary
regression per label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from services.device import check_device
from services.embeddings import embed
from services.models.base import EmbeddingAware, register
from services.models.common import (
    HEAD_FILE,
    ConfigMixin,
    LinearHead,
    ProgressFn,
    check_task_labels,
    check_texts,
    encode_targets,
    portable_device,
    read_meta,
    write_meta,
)
from workbench.errors import ValidationError


@dataclass
class LogRegConfig(ConfigMixin):
    """Options of the ``logreg`` adapter.

    Attributes
    ----------
    encoder : str
        Sentence encoder (see ``services.embeddings.resolve_model``).
    C : float
        Inverse regularisation strength (larger = fits the labels harder).
    max_iter : int
        L-BFGS iterations.
    class_weight : str or None
        ``"balanced"`` re-weights rare classes (useful early in active learning).
    seed : int
        Random state of the solver.
    device : str
        Where the encoder runs.
    batch_size : int
        Encoder batch size.
    """

    renamed_keys: ClassVar[dict[str, str]] = {"model": "encoder"}

    encoder: str = "minilm"
    C: float = 1.0
    max_iter: int = 1000
    class_weight: str | None = "balanced"
    seed: int = 0
    device: str = "auto"
    batch_size: int = 64

    def __post_init__(self) -> None:
        if not isinstance(self.C, (int, float)) or self.C <= 0:
            raise ValidationError(f"C must be a positive number, got {self.C!r}")
        if not isinstance(self.max_iter, int) or self.max_iter < 1:
            raise ValidationError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if self.class_weight not in (None, "balanced"):
            raise ValidationError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValidationError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        self.device = check_device(self.device)


@register("logreg")
class LogRegAdapter(EmbeddingAware):
    """Logistic regression over sentence embeddings (classification, multilabel).

    Parameters
    ----------
    task : {"classification", "multilabel"}
    labels : sequence of str
        Column order of :meth:`predict_proba`.
    store : Store or None
        Embedding cache; not saved with the model.
    **config
        :class:`LogRegConfig` fields.
    """

    name = "logreg"
    tasks = ("classification", "multilabel")
    config_class: ClassVar[type[LogRegConfig]] = LogRegConfig

    def __init__(self, task: str, labels: Sequence[str], store: Any = None, **config: Any):
        self.labels = check_task_labels(task, labels, self.tasks, self.name)
        self.task = task
        self.config = self.config_class.from_dict(config)
        self.store = store
        self.head: LinearHead | None = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(N, D) normalised embeddings of ``texts`` (cached when a store is set)."""
        return embed(check_texts(texts), encoder=self.config.encoder, store=self.store,
                     batch_size=self.config.batch_size, device=self.config.device)

    def fit(self, texts: Sequence[str], targets: Sequence[Any], progress: ProgressFn | None = None) -> LogRegAdapter:
        """Fit on ``texts`` with targets: label names, or lists of names for multilabel."""
        texts, y = self.training_data(texts, targets)
        return self.fit_embeddings(self.embed(texts), y, progress)

    def training_data(self, texts: Sequence[str], targets: Sequence[Any]) -> tuple[list[str], np.ndarray]:
        """Checked texts and encoded targets (see ``encode_targets``); zero examples is an error."""
        texts = check_texts(texts)
        if not texts:
            raise ValidationError("cannot train on zero labelled examples")
        return texts, encode_targets(self.task, self.labels, targets, len(texts))

    def fit_embeddings(self, X: np.ndarray, y: np.ndarray, progress: ProgressFn | None = None) -> LogRegAdapter:
        """Fit on precomputed (N, D) embeddings and encoded targets (see ``encode_targets``)."""
        self.head = self._vector_head(X, y)
        if progress:
            progress(1.0, "fitted")
        return self

    def _vector_head(self, X: np.ndarray, y: np.ndarray) -> LinearHead:
        """A head fitted with this adapter's options (also the hybrid's out-of-fold check refits it per fold)."""
        c = self.config
        return LinearHead.fit(X, y, self.task, len(self.labels), C=c.C, max_iter=c.max_iter,
                              class_weight=c.class_weight, seed=c.seed)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(N, K) probabilities, columns in ``labels`` order."""
        return self.predict_proba_embeddings(self.embed(texts))

    def predict_proba_embeddings(self, X: np.ndarray) -> np.ndarray:
        """(N, D) embeddings -> (N, K) probabilities."""
        if self.head is None:
            raise ValidationError("the model is not trained yet; call fit() first")
        return self.head.predict_proba(X)

    def save(self, path: Path) -> None:
        if self.head is None:
            raise ValidationError("the model is not trained yet; nothing to save")
        path = Path(path)
        write_meta(path, self.name, self.task, self.labels, self.config.to_dict())
        self.head.save(path / HEAD_FILE)

    @classmethod
    def load(cls, path: Path, store: Any = None) -> LogRegAdapter:
        meta = read_meta(Path(path), cls.name)
        adapter = cls(meta["task"], meta["labels"], store=store, **meta["config"])
        adapter.config.device = portable_device(adapter.config.device)
        adapter.head = LinearHead.load(Path(path) / HEAD_FILE, adapter.task, len(adapter.labels))
        return adapter
