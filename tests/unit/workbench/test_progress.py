"""Progress counts per label, per annotator and over time."""

from __future__ import annotations

import pytest

from workbench.errors import ValidationError
from workbench.progress import (
    annotator_counts,
    label_counts,
    labelled_count,
    labels_over_time,
    labels_per_hour,
    project_rows,
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
    assert (per["alice"]["labels"], per["alice"]["undos"]) == (1, 1)
    assert (per["bob"]["labels"], per["bob"]["skips"]) == (1, 1)
    assert labels_per_hour(store, project, "alice") == 1.0
    over = labels_over_time(store, project, "day")
    assert sum(r["labels"] for r in over) == 2 and len(over[0]["period"]) == 10
    assert project_rows(store)[0]["annotated"] == 2
    with pytest.raises(ValidationError):
        labels_over_time(store, project, "week")
