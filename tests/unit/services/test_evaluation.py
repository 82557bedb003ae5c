"""Metrics on hand-made predictions, and the stopping hint on a real store."""

from __future__ import annotations

import pytest

from services.evaluation import evaluate, learning_curves, per_class_rows, stopping_hint
from tests.conftest import add_texts
from workbench.errors import ValidationError
from workbench.text import spans_to_bio, tokenize


def test_classification_accuracy_macro_f1_and_per_class():
    m = evaluate("classification", ["a", "b", "c"], ["a", "a", "b", "c"], ["a", "b", "b", "b"])
    assert m["accuracy"] == 0.5
    # per class F1: a = 2/3 (p=1, r=.5), b = .5 (p=1/3, r=1), c = 0
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    assert m["per_class"]["b"] == pytest.approx({"precision": 1 / 3, "recall": 1.0, "f1": 0.5, "support": 1})
    assert m["per_class"]["c"]["support"] == 1 and m["per_class"]["c"]["f1"] == 0
    assert [r["label"] for r in per_class_rows(m)] == ["a", "b", "c"]


def test_multilabel_micro_macro_and_subset_accuracy():
    gold = [["x"], ["x", "y"], []]
    pred = [["x"], ["x"], ["y"]]
    m = evaluate("multilabel", ["x", "y"], gold, pred)
    assert m["accuracy"] == pytest.approx(1 / 3)
    assert m["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))  # tp=2, fp=1, fn=1
    assert m["per_class"]["x"]["f1"] == 1.0 and m["per_class"]["y"]["f1"] == 0.0


def test_ner_seqeval_f1_from_character_spans():
    text = "Alice flew to New York"
    gold = [[{"start": 0, "end": 5, "label": "person"}, {"start": 14, "end": 22, "label": "location"}]]
    assert spans_to_bio(tokenize(text), gold[0])[0] == ["B-person", "O", "O", "B-location", "I-location"]
    half = [[{"start": 0, "end": 5, "label": "person"}, {"start": 14, "end": 17, "label": "location"}]]
    m = evaluate("ner", ["person", "location"], gold, half, texts=[text])
    assert m["f1"] == pytest.approx(0.5) and m["per_class"]["person"]["f1"] == 1.0
    with pytest.raises(ValidationError, match="needs the texts"):
        evaluate("ner", ["person"], gold, half)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValidationError, match="2 gold values but 1"):
        evaluate("classification", ["a"], ["a", "a"], ["a"])


def test_stopping_hint_needs_stable_predictions_and_flat_gains(store, clf_project):
    project, ids = clf_project
    assert "Not enough rounds" in stopping_hint(store, project)["message"]
    versions = []
    for n, acc in ((100, 0.70), (200, 0.701), (300, 0.702), (400, 0.702)):
        v = store.add_model_version(project, "logreg", project.labels, n_labels=n)
        store.write_suggestions(project, v, [(ids[0], "pos", 0.9, 0.1, None), (ids[1], "neg", 0.9, 0.1, None)])
        store.add_round(project, "margin", n, {"accuracy": acc}, model_version_id=v)
        versions.append(v)
    hint = stopping_hint(store, project)
    assert hint["agreement"] == 1.0 and hint["stop"] is True and "Consider stopping" in hint["message"]
    assert [round(g, 3) for g in hint["gains"]] == [0.001, 0.001, 0.0]
    # a moving prediction keeps the hint at "keep labelling"
    store.write_suggestions(project, versions[-1], [(ids[0], "neg", 0.9, 0.1, None)])
    hint = stopping_hint(store, project)
    assert hint["agreement"] == 0.5 and hint["stop"] is False
    assert hint["message"].startswith("Keep labelling: accuracy is flat") and "50.0% of pool predictions changed" \
        in hint["message"]
    rows = learning_curves(store, project)
    assert [r["labels"] for r in rows] == [100, 200, 300, 400] and rows[0]["metric"] == "accuracy"


def test_curves_skip_rounds_without_the_metric(store):
    project = store.create_project("p", "classification", ["a", "b"])
    add_texts(store, project, ["x", "y"])
    store.add_round(project, "margin", 5, {})
    store.add_round(project, "margin", 10, {"accuracy": 0.5}, run="sim:margin:logreg:seed0")
    assert learning_curves(store, project) == [
        {"run": "sim:margin:logreg:seed0", "strategy": "margin", "labels": 10, "metric": "accuracy", "value": 0.5}]


def test_stopping_hint_never_says_keep_labelling_because_nothing_changed(store, clf_project):
    """It said "Keep labelling: 0.0% of pool predictions changed"; now each signal gives its own reason."""
    project, ids = clf_project
    for n, acc in ((10, 0.60), (20, 0.70)):
        v = store.add_model_version(project, "logreg", project.labels, n_labels=n)
        store.write_suggestions(project, v, [(ids[0], "pos", 0.9, 0.1, None)])
        store.add_round(project, "margin", n, {"accuracy": acc, "n": 200}, model_version_id=v)
    hint = stopping_hint(store, project)
    assert hint["agreement"] == 1.0 and not hint["stop"]
    assert "too few to read a trend" in hint["message"] and "0.0% of pool predictions changed" in hint["message"]
    low, high = hint["interval"]
    assert low < 0.70 < high and round(high - low, 2) == 0.13  # n = 200 held-out records
    for n, acc in ((30, 0.80), (40, 0.90)):
        v = store.add_model_version(project, "logreg", project.labels, n_labels=n)
        store.write_suggestions(project, v, [(ids[0], "pos", 0.9, 0.1, None)])
        store.add_round(project, "margin", n, {"accuracy": acc, "n": 200}, model_version_id=v)
    hint = stopping_hint(store, project)
    assert hint["slope"] == pytest.approx(1.0) and not hint["stop"]
    assert hint["message"].startswith("Keep labelling: accuracy still moves, +100.0 points per 100 labels")
