"""The hybrid adapter's mix of its two heads, chosen out of fold (services/models/hybrid.py)."""

from __future__ import annotations

import numpy as np
import pytest

from services.models import get_adapter, load_adapter
from workbench.errors import ValidationError

LABELS = ["neg", "pos"]


def _data(n: int = 40):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    noise = rng.normal(size=(n, 8))
    signal = np.c_[(2 * y - 1) + 0.1 * rng.normal(size=n), rng.normal(size=(n, 7))]
    word_texts = [f"{'great fun' if label else 'awful bore'} {i}" for i, label in enumerate(y)]
    return y, (noise / np.linalg.norm(noise, axis=1, keepdims=True)).astype(np.float32), \
        signal.astype(np.float32), word_texts


def test_the_head_that_predicts_held_out_labels_gets_the_weight():
    y, noise, signal, word_texts = _data()
    hybrid = get_adapter("hybrid", "classification", LABELS, mix="cv")
    assert hybrid.fit_mixed(word_texts, noise, y).vector_weight == 0.0  # only the words tell
    assert hybrid.fit_mixed(["the same words"] * len(y), signal, y).vector_weight == 1.0  # only the vectors


def test_even_mix_below_two_labels_per_fold_or_when_asked():
    y, noise, _, word_texts = _data()
    assert get_adapter("hybrid", "classification", LABELS, mix="cv").fit_mixed(word_texts[:9], noise[:9], y[:9]) \
        .vector_weight == 0.5
    mean = get_adapter("hybrid", "classification", LABELS, mix="mean").fit_mixed(word_texts, noise, y)
    assert mean.vector_weight == 0.5
    vectors = mean.head.predict_proba(noise[:4])
    words = mean.word_head.predict_proba(mean.vectorizer.transform(word_texts[:4]))
    assert np.allclose(mean.predict_proba_mixed(word_texts[:4], noise[:4]), (vectors + words) / 2, atol=1e-6)


def test_the_weight_is_saved_with_the_version(tmp_path):
    y, noise, _, word_texts = _data()
    hybrid = get_adapter("hybrid", "classification", LABELS, mix="cv").fit_mixed(word_texts, noise, y)
    hybrid.save(tmp_path / "v1")
    loaded = load_adapter("hybrid", tmp_path / "v1")
    assert loaded.vector_weight == hybrid.vector_weight == 0.0
    assert np.allclose(loaded.predict_proba_mixed(word_texts[:6], noise[:6]),
                       hybrid.predict_proba_mixed(word_texts[:6], noise[:6]), atol=1e-6)


def test_the_default_mix_is_chosen_out_of_fold():
    y, noise, _, word_texts = _data()
    assert get_adapter("hybrid", "classification", LABELS).config.mix == "cv"
    assert get_adapter("hybrid", "classification", LABELS).fit_mixed(word_texts, noise, y).vector_weight == 0.0


@pytest.mark.parametrize("option", [{"mix": "median"}, {"mix_folds": 1}])
def test_bad_mix_options_are_refused(option):
    with pytest.raises(ValidationError, match="mix"):
        get_adapter("hybrid", "classification", LABELS, **option)


def test_classes_smaller_than_the_folds_get_fewer_folds_not_an_error():
    _, noise, _, _ = _data(12)
    three = np.arange(12) % 3  # 4 labels per class, 5 folds asked
    texts = [f"{('alpha', 'beta', 'gamma')[label]} {i}" for i, label in enumerate(three)]
    hybrid = get_adapter("hybrid", "classification", ["a", "b", "c"], mix="cv").fit_mixed(texts, noise, three)
    assert hybrid.vector_weight == 0.0  # 4 folds still found that the words tell
