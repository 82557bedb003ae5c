"""Progress counts per label, per annotator and over time."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationError
from workbench.progress import (
    annotator_counts,
    label_counts,
    labelled_count,
    labels_over_time,
    project_rows,
    records_per_hour,
)


def test_counts(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "alice", "label", "pos")
    store.annotate(project, ids[1], "alice", "label", "neg")
    store.annotate(project, ids[2], "bob", "label", "pos")
    store.annotate(project, ids[3], "bob", "skip")
    store.undo_last(project, "alice")  # retracts ids[1]
    assert labelled_count(store, project) == (2, 4)
    assert label_counts(store, project)[0] == {"label": "pos", "annotated": 2, "reference": 2}
    per = {r["annotator"]: r for r in annotator_counts(store, project)}
    assert (per["alice"]["records"], per["alice"]["undos"]) == (1, 1)
    assert (per["bob"]["records"], per["bob"]["skips"]) == (1, 1)
    assert records_per_hour(store, project, "alice") == 1.0
    over = labels_over_time(store, project, "day")
    assert sum(r["records"] for r in over) == 2 and len(over[0]["period"]) == 10
    assert project_rows(store)[0]["annotated"] == 2
    with pytest.raises(ValidationError):
        labels_over_time(store, project, "week")


def test_a_relabel_or_a_span_edit_counts_one_record_not_two(store, clf_project, ner_project):
    """'Labelled 22' next to an annotator total of 23 was a relabel counted twice."""
    project, ids = clf_project
    store.annotate(project, ids[0], "alice", "label", "pos")
    store.annotate(project, ids[0], "alice", "label", "neg")  # a correction
    store.annotate(project, ids[1], "alice", "label", "neg")
    per = {r["annotator"]: r for r in annotator_counts(store, project)}
    assert (per["alice"]["records"], per["alice"]["decisions"]) == (2, 3)
    assert per["alice"]["records"] == project_rows(store)[0]["annotated"]
    ner, ner_ids = ner_project
    for end in (3, 4, 5):  # three edits of the same record's span
        store.annotate(ner, ner_ids[0], "alice", "label", [{"start": 0, "end": end, "label": "person"}])
    assert records_per_hour(store, ner, "alice") == 1.0
    assert sum(r["records"] for r in labels_over_time(store, ner, "hour")) == 1


def test_dataset_statistics_per_task(store, clf_project, ner_project):
    from workbench.progress import dataset_statistics

    project, ids = clf_project
    found = dataset_statistics(store, project)
    lengths = found["lengths"]
    assert sum(r["records"] for r in lengths["rows"]) == 4
    assert (lengths["min"], lengths["median"], lengths["max"]) == (8, 9, 10)
    assert found["labels"][0] == {"label": "pos", "annotated": 0, "reference": 2}
    ml = store.create_project("tags", "multilabel", ["a", "b", "c"])
    from tests.conftest import add_texts

    ml_ids = add_texts(store, ml, ["one", "two", "three"])
    store.annotate(ml, ml_ids[0], "x", "label", ["a", "b"])
    store.annotate(ml, ml_ids[1], "x", "label", ["a"])
    pairs = {(r["a"], r["b"]): r["records"] for r in dataset_statistics(store, ml)["cooccurrence"]}
    assert pairs[("a", "a")] == 2 and pairs[("a", "b")] == 1 and pairs[("b", "b")] == 1
    ner, ner_ids = ner_project
    store.annotate(ner, ner_ids[0], "x", "label", [{"start": 0, "end": 5, "label": "person"},
                                                     {"start": 14, "end": 19, "label": "location"}])
    assert dataset_statistics(store, ner)["spans"] == [{"label": "location", "length": 5, "spans": 1},
                                                        {"label": "person", "length": 5, "spans": 1}]
