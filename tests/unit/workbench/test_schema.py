"""Label schema edits keep every annotation and rewrite current labels."""

from __future__ import annotations

import pytest

from tests.conftest import add_texts
from workbench.errors import ValidationError
from workbench.schema import SCHEMA_ANNOTATOR, add_label, merge_labels, rename_label, reorder_labels


def _rows(store, project):
    return store.query("SELECT id, record_id, annotator, kind, value FROM annotations WHERE project_id = ? ORDER BY id",
                       (project.id,))


def test_rename_keeps_history_and_rewrites_labels(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "ann", "label", "pos")
    store.annotate(project, ids[1], "ann", "label", "neg")
    version = store.add_model_version(project, "logreg", project.labels)
    store.write_suggestions(project, version, [(ids[2], "pos", 0.7, 0.3, None)])
    before = _rows(store, project)
    project = rename_label(store, project, "pos", "positive")
    after = _rows(store, project)
    assert project.labels == ["positive", "neg", "neutral"]
    assert after[:len(before)] == before  # nothing edited or deleted
    added = after[len(before):]
    assert [(r["record_id"], r["annotator"], r["kind"], r["value"]) for r in added] == [
        (ids[0], SCHEMA_ANNOTATOR, "relabel", '"positive"')]
    assert store.get_record(ids[0]).label == "positive" and store.get_record(ids[1]).label == "neg"
    assert store.reference_labels(project.id)[ids[3]] == "positive"
    assert store.query("SELECT value FROM suggestions")[0]["value"] == '"positive"'


def test_merge_classification_and_multilabel(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[2], "ann", "label", "neutral")
    project = merge_labels(store, project, "neutral", "neg")
    assert project.labels == ["pos", "neg"]
    assert store.get_record(ids[2]).label == "neg"
    assert store.reference_labels(project.id)[ids[2]] == "neg"
    assert [h.value for h in store.history(ids[2])] == ["neutral", "neg"]

    ml = store.create_project("topics", "multilabel", ["a", "b", "c"])
    (rid,) = add_texts(store, ml, ["some text"])
    store.annotate(ml, rid, "ann", "label", ["a", "c"])
    ml = merge_labels(store, ml, "c", "a")
    assert ml.labels == ["a", "b"] and store.get_record(rid).label == ["a"]


def test_rename_ner_spans(store, ner_project):
    project, ids = ner_project
    store.annotate(project, ids[0], "ann", "label", [{"start": 0, "end": 5, "label": "person"}])
    project = rename_label(store, project, "person", "per")
    assert store.get_record(ids[0]).label == [{"start": 0, "end": 5, "label": "per"}]


def test_add_reorder_and_errors(store, clf_project):
    project, _ = clf_project
    project = add_label(store, project, "mixed")
    assert project.labels[-1] == "mixed"
    project = reorder_labels(store, project, ["mixed", "neutral", "neg", "pos"])
    assert project.labels == ["mixed", "neutral", "neg", "pos"]
    with pytest.raises(ValidationError, match="already exists"):
        rename_label(store, project, "pos", "neg")
    with pytest.raises(ValidationError, match="not in the schema"):
        merge_labels(store, project, "nope", "neg")
    with pytest.raises(ValidationError, match="exactly the labels"):
        reorder_labels(store, project, ["pos", "neg"])
    with pytest.raises(ValidationError, match="duplicate"):
        add_label(store, project, "pos")
    assert store.get_project(project.id).labels == ["mixed", "neutral", "neg", "pos"]


def test_undo_after_a_rename_unlabels_the_record(store):
    project = store.create_project("u", "classification", ["pos", "neg"])
    (rid,) = add_texts(store, project, ["great"])
    store.annotate(project, rid, "alice", "label", "pos")
    project = rename_label(store, project, "pos", "positive")
    assert store.get_record(rid).label == "positive"
    store.undo_last(project, "alice")  # undoing her label undoes what it led to (the rename's rewrite)
    record = store.get_record(rid)
    assert (record.status, record.label) == ("unlabelled", None)


def test_a_merge_rewrites_every_annotators_label_and_keeps_the_current_one(store):
    project = store.create_project("m", "classification", ["pos", "neg", "meh"])
    (rid,) = add_texts(store, project, ["so so"])
    store.annotate(project, rid, "alice", "label", "meh")
    store.annotate(project, rid, "bob", "label", "neg")  # bob's is the current label
    project = merge_labels(store, project, "meh", "pos")
    assert store.get_record(rid).label == "neg"  # alice's rewrite does not become the current label
    assert sorted((r["annotator"], r["value"]) for r in store.live_labels(project)) == [("alice", "pos"),
                                                                                         ("bob", "neg")]
    project = rename_label(store, project, "pos", "positive")  # a rewrite of a rewrite
    assert sorted((r["annotator"], r["value"]) for r in store.live_labels(project)) == [("alice", "positive"),
                                                                                         ("bob", "neg")]
    assert store.current_labellers(rid) == ["alice", "bob"]  # the pseudo-annotator "schema" is not one of them
