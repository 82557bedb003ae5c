"""``hybrid``: the ``logreg`` head on sentence vectors averaged with a logistic regression on TF-IDF
word 1-2-grams of the same texts — the default classification model.

The two views make different mistakes: the vectors carry meaning, the words carry the exact
terms (headers of spam, names of topics) that a 384-dim sentence vector blurs. On the
benchmark suite (``python -m benchmarks.suite al``) it beat the vectors alone on both tuning sets,
by far on e-mails and debates, not on short quotations and glosses; the README has every data set.
Both heads are :class:`~services.models.common.LinearHead`
arrays, so a version saves as safetensors plus the vocabulary as JSON, and trains in well
under a second on hundreds of labels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from services.models.base import ReadsWords, register
from services.models.common import LinearHead, ProgressFn, check_texts
from services.models.logreg import LogRegAdapter, LogRegConfig
from workbench.errors import ValidationError

WORDS_FILE = "words.safetensors"
VOCABULARY_FILE = "vocabulary.json"


@dataclass
class HybridConfig(LogRegConfig):
    """Options of the ``hybrid`` adapter: :class:`LogRegConfig`'s for the vector head, plus the word head's.

    Attributes
    ----------
    word_C : float
        Inverse regularisation of the TF-IDF head.
    ngram_max : int
        Longest word n-gram (1 = single words).
    max_features : int
        Vocabulary cap (most frequent n-grams of the training texts).
    max_chars : int
        Only the first ``max_chars`` characters of a text are read for words, so a 300 kB e-mail
        costs what a long one does (the encoder reads its first 256 tokens only anyway).
    """

    word_C: float = 4.0
    ngram_max: int = 2
    max_features: int = 50_000
    max_chars: int = 2_000

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.word_C, (int, float)) or self.word_C <= 0:
            raise ValidationError(f"word_C must be a positive number, got {self.word_C!r}")
        for name in ("ngram_max", "max_features", "max_chars"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValidationError(f"{name} must be a positive integer, got {getattr(self, name)!r}")


@register("hybrid")
class HybridAdapter(LogRegAdapter, ReadsWords):
    """Mean of the sentence-vector head and a TF-IDF word head; same constructor as :class:`LogRegAdapter`."""

    name = "hybrid"
    tasks = ("classification", "multilabel")
    config_class: ClassVar[type[LogRegConfig]] = HybridConfig

    def __init__(self, task: str, labels: Sequence[str], store: Any = None, **config: Any):
        super().__init__(task, labels, store=store, **config)
        self.vectorizer = None
        self.word_head: LinearHead | None = None

    def _new_vectorizer(self, vocabulary=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        c = self.config
        return TfidfVectorizer(ngram_range=(1, c.ngram_max), sublinear_tf=True, max_features=c.max_features,
                               vocabulary=vocabulary, preprocessor=lambda text: text[:c.max_chars].lower())

    def fit(self, texts: Sequence[str], targets: Sequence[Any], progress: ProgressFn | None = None) -> HybridAdapter:
        texts, y = self.training_data(texts, targets)
        return self.fit_mixed(texts, self.embed(texts), y, progress)

    def fit_mixed(self, texts: Sequence[str], X: np.ndarray, y: np.ndarray,
                  progress: ProgressFn | None = None) -> HybridAdapter:
        """Fit both heads: on (N, D) vectors ``X`` and on the words of the N ``texts`` (targets encoded)."""
        self.fit_embeddings(X, y)
        c = self.config
        self.vectorizer = self._new_vectorizer()
        try:
            T = self.vectorizer.fit_transform(list(texts))
        except ValueError:  # no word of two letters or more in any text: the vectors alone
            self.vectorizer, self.word_head = None, None
        else:
            self.word_head = LinearHead.fit(T, y, self.task, len(self.labels), C=c.word_C, max_iter=c.max_iter,
                                            class_weight=c.class_weight, seed=c.seed)
        if progress:
            progress(1.0, "fitted")
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(N, K) probabilities, columns in ``labels`` order."""
        texts = check_texts(texts)
        return self.predict_proba_mixed(texts, self.embed(texts))

    def predict_proba_mixed(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """(N, K): the mean of the vector head on ``embeddings`` (N, D) and the word head on ``texts``."""
        probs = super().predict_proba_embeddings(embeddings)
        if self.word_head is None or not len(probs):
            return probs
        words = self.word_head.predict_proba(self.vectorizer.transform(list(texts)))
        return ((probs + words) / 2).astype(np.float32)

    def predict_proba_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        raise ValidationError("the hybrid model also reads the words: call predict_proba_mixed(texts, embeddings)")

    def save(self, path: Path) -> None:
        super().save(path)
        if self.word_head is not None:
            self.word_head.save(Path(path) / WORDS_FILE)
            terms = self.vectorizer.get_feature_names_out().tolist()
            (Path(path) / VOCABULARY_FILE).write_text(
                json.dumps({"terms": terms, "idf": self.vectorizer.idf_.tolist()}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, store: Any = None) -> HybridAdapter:
        adapter = super().load(path, store=store)
        words = Path(path) / WORDS_FILE
        if words.is_file():
            vocab = json.loads((Path(path) / VOCABULARY_FILE).read_text(encoding="utf-8"))
            adapter.vectorizer = adapter._new_vectorizer(vocabulary=vocab["terms"])
            adapter.vectorizer.idf_ = np.asarray(vocab["idf"])
            adapter.word_head = LinearHead.load(words, adapter.task, len(adapter.labels))
        return adapter
