"""Every kind of suggestion gets its explanation: zero-shot similarity, classifier words, NER tokens and spans."""

from __future__ import annotations

import pytest

from services import suggestion_explain as why
from services.models import get_adapter
from tests.conftest import add_texts
from tests.integration.test_adapters_contract import NER_LABELS, NER_TARGETS, NER_TEXTS


def test_zero_shot_explanation_names_the_closest_label_and_the_words(store):
    found = why.zero_shot_explanation(store, ["sports", "cooking"], "minilm", "I baked bread with butter and flour")
    assert found.label == "cooking" and found.similarities["cooking"] > found.similarities["sports"]
    assert found.method.startswith("zero-shot")
    weights = {a["text"]: a["weight"] for a in found.attributions}
    assert set(weights) == {"I", "baked", "bread", "with", "butter", "and", "flour"}
    # a word's weight is what the similarity to the chosen label name loses without it
    from services.embeddings import embed

    label, full, cut = embed(["cooking", "I baked bread with butter and flour", "I baked bread with butter and "])
    assert weights["flour"] == pytest.approx(float(label @ full - label @ cut), abs=1e-4)
    assert found.prob > 0.5


@pytest.fixture(scope="module")
def ner_adapter():
    adapter = get_adapter("ner", "ner", NER_LABELS, epochs=3, batch_size=8, device="cpu", lr=5e-4, min_steps=0)
    return adapter.fit(NER_TEXTS, NER_TARGETS)


def test_ner_explanation_has_spans_with_token_probabilities(ner_adapter):
    found = why.ner_explanation(ner_adapter, "Alice flew to Rome")
    assert found.method == "NER token probabilities"
    for span in found.spans:
        assert 0 <= span["start"] < span["end"] <= len("Alice flew to Rome") and 0 < span["prob"] <= 1
        assert len(span["token_probs"]) >= 1
    assert all(t["prob"] < why.UNCERTAIN_TOKEN for t in found.tokens)


def test_nearest_labelled_spans_come_from_other_records(store, ner_project):
    project, ids = ner_project
    more = add_texts(store, project, ["Carol went to Lisbon", "Bob visited Berlin"])
    store.annotate(project, more[0], "a", "label", [{"start": 0, "end": 5, "label": "person"},
                                                     {"start": 14, "end": 20, "label": "location"}])
    store.annotate(project, more[1], "a", "label", [{"start": 12, "end": 18, "label": "location"}])
    text = "Alice flew to Paris"
    near = why.nearest_labelled_spans(store, project, text, [{"start": 14, "end": 19, "label": "location"}], k=2)
    assert [n["span"] for n in near] == ["Paris", "Paris"]
    assert {n["text"] for n in near} <= {"Lisbon", "Berlin", "Carol"} and near[0]["label"] == "location"
    assert why.nearest_labelled_spans(store, project, text, [], k=2) == []
