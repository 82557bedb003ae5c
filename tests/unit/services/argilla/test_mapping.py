"""Project ↔ Argilla mapping without a server: metadata inference, schema checks, suggestions, values."""

from __future__ import annotations

import pytest

from services.argilla import mapping
from workbench.errors import ArgillaError
from workbench.store import Record


def _record(meta=None, split=None) -> Record:
    return Record(id=1, project_id=1, uid="u", external_id=None, text="Alice in Paris", meta=meta or {}, split=split,
                  status="unlabelled", label=None, excluded=False)


def test_meta_types_infer_one_type_per_key_and_skip_nested_or_clashing_names():
    props = mapping.meta_types([{"Year": 1999, "rating": 1, "Source Site": "imdb", "tags": ["a"], "flag": True,
                                 "split": "x"},
                                {"Year": 2001, "rating": 2.5, "Source Site": 3}])
    assert props == {"year": ("Year", "integer"), "rating": ("rating", "float"),
                     "source_site": ("Source Site", "terms"), "flag": ("flag", "terms")}


def test_metadata_name_rules():
    assert mapping.metadata_name("My Key!") == "my_key"
    assert mapping.metadata_name("***") is None
    assert mapping.metadata_name("al_score") is None  # the workbench's own


def test_metadata_values_only_declared_and_finite():
    props = {"year": ("Year", "integer"), "rating": ("rating", "float"), "flag": ("flag", "terms")}
    facts = {"suggestion": {"value": "pos", "score": 0.8, "uncertainty": float("nan")},
             "audit": {"quality": 0.12, "is_issue": True, "given": "neg", "suggested": "pos", "issue_id": 3}}
    meta = mapping.metadata_of(_record({"Year": "1999", "rating": 2.0, "flag": False, "other": 1}, "train"), facts,
                               props, "logreg-v2")
    assert meta == {"rating": 2.0, "flag": "false", "split": "train", "label_quality": 0.12, "audit_flag": "flagged",
                    "model_label": "pos", "model_score": 0.8}


def _question(kind="label_selection", labels=("pos", "neg"), name="label"):
    return {"id": "q1", "name": name, "settings": {"type": kind, "options": [{"value": v, "text": v} for v in labels]}}


class _Project:
    name, task, labels = "films", "classification", ["pos", "neg"]


def test_check_schema_accepts_a_fitting_dataset_and_names_each_mismatch():
    fields = [{"name": "text"}]
    assert mapping.check_schema(_Project, "d", [_question(labels=("neg", "pos"))], fields) == "q1"
    with pytest.raises(ArgillaError, match="has no field 'text'"):
        mapping.check_schema(_Project, "d", [_question()], [{"name": "body"}])
    with pytest.raises(ArgillaError, match="has no question 'label'"):
        mapping.check_schema(_Project, "d", [_question(name="sentiment")], fields)
    with pytest.raises(ArgillaError, match="is a span question but project 'films' is classification"):
        mapping.check_schema(_Project, "d", [_question(kind="span")], fields)
    with pytest.raises(ArgillaError, match="has labels pos, neg, meh but project 'films' has pos, neg"):
        mapping.check_schema(_Project, "d", [_question(labels=("pos", "neg", "meh"))], fields)


def test_suggestions_model_or_given_label_with_scores_per_item():
    facts = {"suggestion": {"value": "pos", "score": 0.7, "uncertainty": 0.3},
             "audit": {"given": "neg", "quality": 0.1, "is_issue": True, "suggested": "pos", "issue_id": 1}}
    model, agent = mapping.suggestion_of(_Project, facts, "q1", "logreg-v3", given_label=False)
    assert (model, agent) == ({"question_id": "q1", "value": "pos", "agent": "logreg-v3", "type": "model",
                               "score": 0.7}, "logreg-v3")
    given, agent = mapping.suggestion_of(_Project, facts, "q1", "logreg-v3", given_label=True)
    assert (given["value"], given["score"], agent) == ("neg", 0.1, mapping.GIVEN_LABEL_AGENT)
    assert mapping.suggestion_of(_Project, {"suggestion": None, "audit": None}, "q1", None, False) == (None, None)

    class Ner:
        task, labels = "ner", ["person"]
    spans = [{"start": 0, "end": 5, "label": "person", "text": "Alice"}]
    ner, _ = mapping.suggestion_of(Ner, {"suggestion": {"value": spans, "score": 1.4, "uncertainty": 0}}, "q", "ner-v1",
                                   False)
    assert ner["value"] == [{"label": "person", "start": 0, "end": 5}] and ner["score"] == [1.0]
    empty, _ = mapping.suggestion_of(Ner, {"suggestion": {"value": [], "score": 0.5, "uncertainty": 0}}, "q", "a", False)
    assert empty is None


def test_values_round_trip():
    spans = [{"label": "person", "start": 0, "end": 5}]
    assert mapping.from_argilla_value("ner", mapping.to_argilla_value("ner", spans)) == [
        {"start": 0, "end": 5, "label": "person"}]
    assert mapping.to_argilla_value("multilabel", ("a", "b")) == ["a", "b"]
    assert mapping.from_argilla_value("classification", "pos") == "pos"


def test_too_many_labels_for_one_question():
    class Big:
        name, task, labels = "big", "classification", [f"l{i}" for i in range(501)]

        class settings:
            annotators_per_record = 1
        guidelines = ""
    with pytest.raises(ArgillaError, match="at most 500"):
        mapping.settings_for(Big, {}, None)
