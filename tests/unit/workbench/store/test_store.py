from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import add_texts
from workbench.errors import ConflictError, NotFoundError, ValidationError
from workbench.store import Store, derive_state
from workbench.store.migrations import MIGRATIONS


def test_store_sets_wal_foreign_keys_and_migrations(store):
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert store.migrate() == []  # idempotent


def test_reopen_keeps_data(tmp_path):
    with Store(tmp_path / "x.db") as s:
        s.create_project("p", "classification", ["a", "b"])
    with Store(tmp_path / "x.db") as s:
        assert [p.name for p in s.list_projects()] == ["p"]


def test_create_project_validates(store):
    with pytest.raises(ValidationError, match="unknown task 'regression'"):
        store.create_project("p", "regression", ["a"])
    with pytest.raises(ValidationError, match="duplicate label 'a'"):
        store.create_project("p", "classification", ["a", "a"])
    with pytest.raises(ValidationError, match="must not be empty"):
        store.create_project("  ", "classification", ["a"])
    store.create_project("p", "classification", ["a", "b"])
    with pytest.raises(ConflictError, match="already exists"):
        store.create_project("p", "ner", ["x"])
    with pytest.raises(NotFoundError, match="existing projects: p"):
        store.get_project("nope")


def test_insert_records_is_idempotent_by_uid(store, clf_project):
    project, ids = clf_project
    assert all(isinstance(i, int) for i in ids)
    again = add_texts(store, project, ["great film", "new one"])
    assert again[0] is None and isinstance(again[1], int)
    assert store.count_records(project.id) == 5


def test_annotation_history_is_append_only_and_undo_retracts(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "ann", "label", "pos")
    store.annotate(project, ids[1], "ann", "label", "neg")
    assert store.get_record(ids[1]).label == "neg"
    retracted = store.undo_last(project, "ann")
    rec = store.get_record(ids[1])
    assert rec.status == "unlabelled" and rec.label is None
    kinds = [a.kind for a in store.history(ids[1])]
    assert kinds == ["label", "retract"] and store.history(ids[1])[1].target_id == retracted
    assert store.get_record(ids[0]).label == "pos"
    stats = store.project_stats(project)
    assert stats["annotated"] == 1 and stats["per_label"] == {"pos": 1, "neg": 0, "neutral": 0}
    assert stats["reference_per_label"] == {"pos": 2, "neg": 1, "neutral": 1}


def test_annotation_validation(store, clf_project, ner_project):
    project, ids = clf_project
    with pytest.raises(ValidationError, match="not in the schema"):
        store.annotate(project, ids[0], "ann", "label", "spam")
    with pytest.raises(ValidationError, match="annotator name"):
        store.annotate(project, ids[0], " ", "label", "pos")
    nproject, nids = ner_project
    with pytest.raises(NotFoundError):
        store.annotate(nproject, ids[0], "ann", "label", [])
    with pytest.raises(ValidationError, match="overlap"):
        store.annotate(nproject, nids[0], "ann", "label",
                       [{"start": 0, "end": 5, "label": "person"}, {"start": 3, "end": 8, "label": "location"}])
    with pytest.raises(ValidationError, match="out of bounds"):
        store.annotate(nproject, nids[0], "ann", "label", [{"start": 14, "end": 40, "label": "location"}])
    store.annotate(nproject, nids[0], "ann", "label",
                   [{"start": 14, "end": 19, "label": "location"}, {"start": 0, "end": 5, "label": "person"}])
    assert store.get_record(nids[0]).label[0] == {"start": 0, "end": 5, "label": "person"}
    assert store.project_stats(nproject)["per_label"] == {"person": 1, "location": 1}
    assert store.scalar("SELECT COUNT(*) FROM annotations") == 1  # failed writes left nothing


def test_skip_exclude_and_derived_state(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[2], "a", "skip")
    assert store.get_record(ids[2]).status == "skipped"
    store.annotate(project, ids[2], "b", "label", "neutral")
    store.annotate(project, ids[2], "b", "exclude")
    rec = store.get_record(ids[2])
    assert rec.status == "labelled" and rec.excluded
    store.undo_last(project, "b")
    assert not store.get_record(ids[2]).excluded


def test_derive_state_last_label_wins_and_tracks_annotators(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "a", "label", "pos")
    store.annotate(project, ids[0], "b", "label", "neg")
    state = derive_state(store.history(ids[0]))
    assert state == {"status": "labelled", "label": "neg", "excluded": False, "annotators": ["a", "b"], "reviewed": False}
    assert sorted((r["annotator"], r["value"]) for r in store.live_labels(project)) == [("a", "pos"), ("b", "neg")]


def test_atomic_rolls_back_everything(store, clf_project):
    project, ids = clf_project
    before = store.scalar("SELECT COUNT(*) FROM annotations")
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.annotate(project, ids[0], "a", "label", "pos")
            store.annotate(project, ids[1], "a", "label", "neg")
            raise RuntimeError("boom")
    assert store.scalar("SELECT COUNT(*) FROM annotations") == before
    assert store.get_record(ids[0]).status == "unlabelled"


def test_leases_keep_two_annotators_apart(store, clf_project):
    project, ids = clf_project
    assert store.lease(project, ids[0], "a")
    assert not store.lease(project, ids[0], "b")
    assert store.lease(project, ids[0], "a")
    store.annotate(project, ids[0], "a", "label", "pos")  # labelling releases the lease
    assert store.lease(project, ids[0], "b")


def test_jobs_refuse_a_second_training(store, clf_project):
    project, _ = clf_project
    job = store.create_job(project, "train")
    with pytest.raises(ConflictError, match="already queued"):
        store.create_job(project, "train")
    store.start_job(job)
    store.update_job(job, 0.5, "halfway")
    store.fail_job(job, "out of memory")
    assert store.job(job)["status"] == "failed"
    store.create_job(project, "train")


def test_model_versions_and_suggestions(store, clf_project):
    project, ids = clf_project
    v = store.add_model_version(project, "logreg", project.labels, metrics={"accuracy": 0.5}, n_labels=3)
    store.write_suggestions(project, v, [(ids[0], "pos", 0.9, 0.1, [0.9, 0.05, 0.05])])
    assert store.suggestion(project, ids[0]) is None  # not active yet
    store.activate_model_version(project, v)
    project = store.get_project(project.name)
    sug = store.suggestion(project, ids[0])
    assert sug["value"] == "pos" and sug["probs"] == [0.9, 0.05, 0.05]
    assert store.model_version(v)["metrics"] == {"accuracy": 0.5}


def test_fts_search_finds_words(store, clf_project):
    project, ids = clf_project
    hits = store.query("SELECT rowid FROM records_fts WHERE records_fts MATCH ?", ("plot",))
    assert [h["rowid"] for h in hits] == [ids[1]]


def test_foreign_keys_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        with store.atomic():
            store.execute("INSERT INTO records (project_id, uid, text, created_at) VALUES (999, 'x', 't', 'now')")


def test_select_in_spans_chunks_and_binds_params_first(store):
    project = store.create_project("many", "classification", ["a", "b"])
    ids = add_texts(store, project, [f"text {i}" for i in range(1201)])  # three IN chunks
    rows = list(store.select_in("SELECT id FROM records WHERE project_id = ? AND id IN ({marks})",
                                list(reversed(ids)) + [10 ** 9], (project.id,)))
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert list(store.select_in("SELECT id FROM records WHERE id IN ({marks})", [])) == []
    assert [r.uid for r in store.get_records(ids[::-300])] == [store.get_record(i).uid for i in ids[::-300]]


def test_labels_since_last_model_counts_live_labels_after_the_latest_version(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "a", "label", "pos")
    store.annotate(project, ids[1], "a", "label", "neg")
    store.annotate(project, ids[2], "a", "skip")
    store.undo_last(project, "a")  # retracts the skip, not a label
    store.undo_last(project, "a")  # retracts the neg label
    assert store.labels_since_last_model(project) == 1
    store.add_model_version(project, "logreg", project.labels)
    assert store.labels_since_last_model(project) == 0
    store.annotate(project, ids[3], "a", "relabel", "neutral")
    assert store.labels_since_last_model(project) == 1
    plan = store.query("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM annotations a WHERE a.project_id = ?"
                       " AND a.created_at > ?", (project.id, "x"))
    assert "annotations_created" in plan[0]["detail"]
