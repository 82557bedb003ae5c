"""``hybrid``: the ``logreg`` head on sentence vectors mixed with a logistic regression on TF-IDF
word 1-2-grams of the same texts — the default classification model.

The two views make different mistakes: the vectors carry meaning, the words carry the exact
terms (headers of spam, names of topics) that a sentence vector blurs. The mix is chosen per
retrain by out-of-fold log-loss, so the word view fades out where it does not help (short
quotations, glosses, sentiment). It reads the stronger encoder's vectors (mpnet) when the project
allows it (:class:`~services.models.base.UpgradesVectors`); the benchmark suite (``python -m
benchmarks.suite al``) measured every choice, the README has every data set. Both heads are
:class:`~services.models.common.LinearHead` arrays, so a version saves as safetensors plus the
vocabulary as JSON, and trains in about a second on hundreds of labels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from services.models.base import ReadsWords, UpgradesVectors, register
from services.models.common import LinearHead, ProgressFn, check_texts, mixing_weights
from services.models.logreg import LogRegAdapter, LogRegConfig
from workbench.errors import ValidationError
from workbench.registry import one_of

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
    mix : {"cv", "mean"}
        How the two heads are mixed: ``"cv"`` (the default) by the weight, in quarters
        (:data:`~services.models.common.MIX_STEP`), whose out-of-fold mixture (``mix_folds``-fold,
        stratified) has the lowest log-loss on the labels, so a word view that does not help on
        this project's texts fades out (on mpnet's vectors it beat the even mix on every suite data set:
        README, "How the defaults were chosen"); ``"mean"`` half and half. Single-label classification
        only; half and half below ``2 * mix_folds`` labels.
    mix_folds : int
        Folds of that check.
    """

    word_C: float = 4.0
    ngram_max: int = 2
    max_features: int = 50_000
    max_chars: int = 2_000
    mix: str = "cv"
    mix_folds: int = 5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.word_C, (int, float)) or self.word_C <= 0:
            raise ValidationError(f"word_C must be a positive number, got {self.word_C!r}")
        for name in ("ngram_max", "max_features", "max_chars"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValidationError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        one_of(self.mix, ("cv", "mean"), "mix")
        if not isinstance(self.mix_folds, int) or self.mix_folds < 2:
            raise ValidationError(f"mix_folds must be an integer of at least 2, got {self.mix_folds!r}")


@register("hybrid")
class HybridAdapter(LogRegAdapter, ReadsWords, UpgradesVectors):
    """Mean of the sentence-vector head and a TF-IDF word head; same constructor as :class:`LogRegAdapter`."""

    name = "hybrid"
    tasks = ("classification", "multilabel")
    config_class: ClassVar[type[LogRegConfig]] = HybridConfig

    def __init__(self, task: str, labels: Sequence[str], store: Any = None, **config: Any):
        super().__init__(task, labels, store=store, **config)
        self.vectorizer = None
        self.word_head: LinearHead | None = None
        self.vector_weight = 0.5  # of the vector head in the mixture; the word head gets the rest

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
        self.vectorizer = self._new_vectorizer()
        try:
            T = self.vectorizer.fit_transform(list(texts))
        except ValueError:  # no word of two letters or more in any text: the vectors alone
            self.vectorizer, self.word_head = None, None
        else:
            self.word_head = self._word_head(T, y)
            self.vector_weight = self._chosen_weight(list(texts), X, y)
        if progress:
            progress(1.0, "fitted")
        return self

    def _word_head(self, T, y: np.ndarray) -> LinearHead:
        c = self.config
        return LinearHead.fit(T, y, self.task, len(self.labels), C=c.word_C, max_iter=c.max_iter,
                              class_weight=c.class_weight, seed=c.seed)

    def _chosen_weight(self, texts: list[str], X: np.ndarray, y: np.ndarray) -> float:
        """The vector head's weight: out-of-fold, both heads refitted (vocabulary too) on each fold."""
        c = self.config
        if c.mix != "cv" or self.task != "classification" or len(np.unique(y)) < 2 or len(y) < 2 * c.mix_folds:
            return 0.5
        folds = min(c.mix_folds, int(np.bincount(y).max()))  # stratified folds need a class that fills them
        if folds < 2:
            return 0.5
        import warnings

        from sklearn.model_selection import StratifiedKFold

        k = len(self.labels)
        vec, words = np.zeros((len(y), k)), np.zeros((len(y), k))
        with warnings.catch_warnings():
            # a class with fewer labels than folds is missing from some training folds: both heads then give
            # its held-out labels probability 0, which costs every mixture alike
            warnings.simplefilter("ignore", UserWarning)
            splits = list(StratifiedKFold(folds, shuffle=True, random_state=c.seed).split(X, y))
        for train, test in splits:
            vec[test] = self._vector_head(X[train], y[train]).predict_proba(X[test])
            vectorizer = self._new_vectorizer()
            try:
                T = vectorizer.fit_transform([texts[i] for i in train])
            except ValueError:  # no usable word in this fold: the vectors alone predict it
                words[test] = vec[test]
                continue
            words[test] = self._word_head(T, y[train]).predict_proba(vectorizer.transform([texts[i] for i in test]))
        return float(mixing_weights([vec, words], y)[0])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(N, K) probabilities, columns in ``labels`` order."""
        texts = check_texts(texts)
        return self.predict_proba_mixed(texts, self.embed(texts))

    def predict_proba_mixed(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """(N, K): the vector head on ``embeddings`` (N, D) and the word head on ``texts``, mixed by
        ``vector_weight``."""
        probs = super().predict_proba_embeddings(embeddings)
        if self.word_head is None or not len(probs):
            return probs
        words = self.word_head.predict_proba(self.vectorizer.transform(list(texts)))
        w = self.vector_weight
        return (w * probs + (1 - w) * words).astype(np.float32)

    def predict_proba_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        raise ValidationError("the hybrid model also reads the words: call predict_proba_mixed(texts, embeddings)")

    def save(self, path: Path) -> None:
        super().save(path)
        if self.word_head is not None:
            self.word_head.save(Path(path) / WORDS_FILE)
            terms = self.vectorizer.get_feature_names_out().tolist()
            (Path(path) / VOCABULARY_FILE).write_text(
                json.dumps({"terms": terms, "idf": self.vectorizer.idf_.tolist(), "vector_weight": self.vector_weight}),
                encoding="utf-8")

    @classmethod
    def load(cls, path: Path, store: Any = None) -> HybridAdapter:
        adapter = super().load(path, store=store)
        words = Path(path) / WORDS_FILE
        if words.is_file():
            vocab = json.loads((Path(path) / VOCABULARY_FILE).read_text(encoding="utf-8"))
            adapter.vectorizer = adapter._new_vectorizer(vocabulary=vocab["terms"])
            adapter.vectorizer.idf_ = np.asarray(vocab["idf"])
            adapter.word_head = LinearHead.load(words, adapter.task, len(adapter.labels))
            adapter.vector_weight = float(vocab.get("vector_weight", 0.5))  # versions saved before the mix: even
        return adapter
