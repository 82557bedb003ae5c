"""Migrations added by the architecture change, applied to a database in the old layout."""

from __future__ import annotations

import sqlite3

from workbench.store import Store
from workbench.store.migrations import MIGRATIONS


def _old_database(path, upto: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, fn in MIGRATIONS:
        fn(conn)
        conn.execute("INSERT INTO _migrations VALUES (?, 'then')", (name,))
        if name == upto:
            break
    conn.execute("INSERT INTO projects (name, task, labels, settings, created_at) VALUES"
                 " ('old', 'classification', '[\"a\",\"b\"]', '{\"retrain_every\": 5, \"model\": \"setfit\"}', 'then')")
    if upto < "007":
        conn.execute("INSERT INTO audits (project_id, source, model_version, created_at) VALUES (1, 'reference',"
                     " 'hybrid@minilm/5-fold/seed0', 'then')")
    conn.close()


def test_settings_model_becomes_adapter_and_audits_get_a_method(tmp_path):
    _old_database(tmp_path / "old.db", "005_annotations_created")
    with Store(tmp_path / "old.db") as store:
        project = store.get_project("old")
        assert project.settings.adapter == "setfit" and project.settings.retrain_every == 5
        assert store.latest_audit(project)["method"] == "hybrid@minilm/5-fold/seed0"
        applied = store.applied_migrations()
        assert applied.index("006_settings_adapter") < applied.index("007_audits_method")


def _indexes(store) -> set[str]:
    return {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_database_migrated_with_the_first_004_gets_its_missing_indexes(tmp_path):
    # 004 as first applied created two indexes; three were later edited into it (issue 9, finding 9)
    _old_database(tmp_path / "old.db", "005_annotations_created")
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    for name in ("annotations_target", "records_label", "suggestions_score"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    conn.close()
    with Store(tmp_path / "old.db") as store:
        assert {"annotations_target", "records_label", "suggestions_score", "annotations_audit_issue",
                "audits_project"} <= _indexes(store)
        assert "008_indexes_added_to_004" in store.applied_migrations()


def test_a_new_database_has_every_index_once(tmp_path):
    with Store(tmp_path / "new.db") as store:
        assert {"annotations_target", "records_label", "suggestions_score"} <= _indexes(store)


def test_010_rebuilds_annotations_with_review_and_keeps_every_row_and_link(tmp_path):
    path = tmp_path / "old.db"
    _old_database(path, "009_leases_and_heartbeats")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO records (project_id, uid, text, status, label, annotators, created_at) VALUES"
                 " (1, 'u1', 'hello', 'labelled', '\"a\"', ',ann,bob,', 'then')")
    conn.execute("INSERT INTO annotations (project_id, record_id, annotator, kind, value, created_at)"
                 " VALUES (1, 1, 'ann', 'label', '\"b\"', 'then')")
    conn.execute("INSERT INTO annotations (project_id, record_id, annotator, kind, target_id, created_at)"
                 " VALUES (1, 1, 'ann', 'retract', 1, 'then')")
    conn.execute("INSERT INTO annotations (project_id, record_id, annotator, kind, value, created_at)"
                 " VALUES (1, 1, 'bob', 'label', '\"a\"', 'then')")
    conn.execute("INSERT INTO leases (record_id, project_id, annotator, expires_at) VALUES (1, 1, 'ann', 1e12)")
    conn.close()
    with Store(path) as store:
        assert "010_accounts_overlap_review" in store.applied_migrations()
        rows = store.query("SELECT id, kind, target_id FROM annotations ORDER BY id")
        assert [(r["id"], r["kind"], r["target_id"]) for r in rows] == [(1, "label", None), (2, "retract", 1),
                                                                         (3, "label", None)]
        assert store.query("PRAGMA foreign_key_check") == []
        assert store.get_record(1).n_labellers == 2
        project = store.get_project("old")
        store.annotate(project, 1, "rita", "review", "b")  # the new kind is accepted
        assert store.get_record(1).reviewed and not store.has_accounts()
        assert {"annotations_record", "annotations_target", "annotations_created", "records_partial"} <= _indexes(store)


def test_011_keeps_annotations_and_marks_them_made_in_the_workbench(tmp_path):
    _old_database(tmp_path / "old.db", "010_accounts_overlap_review")
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    conn.execute("INSERT INTO records (project_id, uid, text, status, created_at, updated_at) VALUES"
                 " (1, 'u1', 'a text', 'labelled', 'then', 'then')")
    conn.execute("INSERT INTO annotations (project_id, record_id, annotator, kind, value, created_at) VALUES"
                 " (1, 1, 'ann', 'label', '\"a\"', 'then')")
    conn.close()
    with Store(tmp_path / "old.db") as store:
        assert "011_argilla_sync" in store.applied_migrations()
        (row,) = store.history(1)
        assert (row.annotator, row.value, row.source) == ("ann", "a", "workbench")
        assert store.argilla_link(store.get_project("old")) is None
