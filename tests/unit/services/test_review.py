"""The review step: disagreements listed, a review row is final, per-annotator figures, consensus export."""

from __future__ import annotations

import json

import pytest

from services import review
from services.agreement import consensus_labels, majority_labels
from tests.conftest import add_texts
from workbench.config import ProjectSettings
from workbench.errors import ValidationError
from workbench.io import export_project


@pytest.fixture
def team(store):
    project = store.create_project("p", "classification", ["pos", "neg"],
                                   settings=ProjectSettings(annotators_per_record=2))
    ids = add_texts(store, project, ["good", "bad", "meh", "fine"])
    for rid, a, b in zip(ids, ["pos", "neg", "pos", "pos"], ["pos", "neg", "neg", None]):
        store.annotate(project, rid, "alice", "label", a)
        if b:
            store.annotate(project, rid, "bob", "label", b)
    return project, ids


def test_disagreements_all_and_reviewed_lists(store, team):
    project, ids = team
    total, items = review.review_items(store, project)
    assert total == 1 and items[0]["record_id"] == ids[2] and items[0]["labels"] == {"alice": "pos", "bob": "neg"}
    assert review.review_items(store, project, show="all")[0] == 4
    assert review.review_items(store, project, show="all", annotator="bob")[0] == 3
    review.accept(store, project, ids[2], "rita", "neg")
    assert review.review_items(store, project)[0] == 0
    total, items = review.review_items(store, project, show="reviewed")
    assert total == 1 and items[0]["final"] == "neg" and items[0]["reviewed"]
    with pytest.raises(ValidationError):
        review.review_items(store, project, show="mine")
    with pytest.raises(ValidationError):
        review.accept(store, project, ids[0], "rita", "maybe")  # not a label of the schema


def test_annotator_figures(store, team):
    project, ids = team
    review.accept(store, project, ids[2], "rita", "neg")
    consensus = majority_labels({rid: {"alice": "pos", "bob": "pos"} for rid in ids[:1]})
    rows = {r["annotator"]: r for r in review.annotator_figures(store, project, consensus)}
    assert rows["alice"]["labels"] == 4 and rows["bob"]["labels"] == 3
    assert rows["alice"]["agreement_with_review"] == 0.0 and rows["bob"]["agreement_with_review"] == 1.0
    assert rows["alice"]["agreement_with_consensus"] == 1.0 and rows["alice"]["vs_consensus"] == 1
    assert "rita" not in rows  # a reviewer's final label is not an annotation


def test_consensus_export_carries_the_review_and_the_agreement(store, team, tmp_path):
    project, ids = team
    review.accept(store, project, ids[2], "rita", "neg")
    labels = consensus_labels(store, project)  # 4 records: too few for CROWDLAB's folds, so a plurality vote
    assert labels[ids[0]] == {"label": "pos", "agreement": 1.0, "n": 2}
    out = tmp_path / "c.jsonl"
    report = export_project(store, project, out, format="jsonl", source="consensus", consensus=labels)
    rows = {r["text"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert report.rows == 4
    assert (rows["meh"]["label"], rows["meh"]["label_source"], rows["meh"]["annotator"]) == ("neg", "review", "rita")
    assert (rows["good"]["label_source"], rows["good"]["agreement"], rows["good"]["n_annotators"]) == ("consensus", 1.0, 2)
    with pytest.raises(ValidationError, match="consensus"):
        export_project(store, project, tmp_path / "x.jsonl", format="jsonl", source="consensus")
    csv_report = export_project(store, project, tmp_path / "c.csv", format="csv", source="consensus", consensus=labels)
    header = (tmp_path / "c.csv").read_text().splitlines()[0]
    assert "agreement,n_annotators" in header and csv_report.rows == 4
