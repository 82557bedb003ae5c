"""Named, append-only schema migrations.

Never edit a migration that has shipped: append a new one. Each runs once, in
order, inside a transaction, and its name is recorded in ``_migrations``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";\n") if s.strip()]


def _run(conn: sqlite3.Connection, sql: str) -> None:
    for statement in _statements(sql):
        conn.execute(statement)


def m001_initial(conn: sqlite3.Connection) -> None:
    _run(conn, """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    task TEXT NOT NULL CHECK (task IN ('classification', 'multilabel', 'ner')),
    labels TEXT NOT NULL,
    guidelines TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    active_model_version INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    external_id TEXT,
    text TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    split TEXT,
    status TEXT NOT NULL DEFAULT 'unlabelled',
    label TEXT,
    excluded INTEGER NOT NULL DEFAULT 0,
    annotators TEXT NOT NULL DEFAULT '',
    updated_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, uid)
);
CREATE INDEX records_status ON records(project_id, status, id);
CREATE INDEX records_external ON records(project_id, external_id);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('label','skip','retract','relabel','exclude','keep','ambiguous')),
    value TEXT,
    target_id INTEGER REFERENCES annotations(id),
    audit_issue_id INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX annotations_record ON annotations(record_id, id);
CREATE INDEX annotations_project ON annotations(project_id, id);
CREATE INDEX annotations_annotator ON annotations(project_id, annotator, id);
CREATE TABLE reference_labels (
    record_id INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'import',
    created_at TEXT NOT NULL
);
CREATE INDEX reference_project ON reference_labels(project_id);
CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    adapter TEXT NOT NULL,
    path TEXT,
    labels TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    n_labels INTEGER NOT NULL DEFAULT 0,
    train_seconds REAL,
    created_at TEXT NOT NULL
);
CREATE INDEX model_versions_project ON model_versions(project_id, id);
CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    model_version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    score REAL,
    uncertainty REAL,
    probs TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (model_version_id, record_id)
);
CREATE INDEX suggestions_record ON suggestions(record_id, model_version_id);
CREATE INDEX suggestions_queue ON suggestions(model_version_id, uncertainty);
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    model_version_id INTEGER REFERENCES model_versions(id) ON DELETE SET NULL,
    strategy TEXT NOT NULL,
    run TEXT NOT NULL DEFAULT 'live',
    n_labels INTEGER NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX rounds_project ON rounds(project_id, run, id);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','running','done','failed')),
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    error TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE INDEX jobs_project ON jobs(project_id, kind, status);
CREATE TABLE audits (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}',
    model_version TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE audit_issues (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    issue_type TEXT NOT NULL,
    given TEXT,
    suggested TEXT,
    quality REAL,
    is_issue INTEGER NOT NULL DEFAULT 1,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX audit_issues_audit ON audit_issues(audit_id, is_issue, quality);
CREATE INDEX audit_issues_record ON audit_issues(record_id);
CREATE TABLE leases (
    record_id INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL,
    annotator TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX leases_project ON leases(project_id, annotator);
CREATE TABLE embeddings (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID
""")


def m002_fts(conn: sqlite3.Connection) -> None:
    """Full-text search over record texts (external-content FTS5, kept by triggers)."""
    conn.execute("CREATE VIRTUAL TABLE records_fts USING fts5(text, content='records', content_rowid='id')")
    conn.execute(
        "CREATE TRIGGER records_fts_ai AFTER INSERT ON records BEGIN "
        "INSERT INTO records_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    conn.execute(
        "CREATE TRIGGER records_fts_ad AFTER DELETE ON records BEGIN "
        "INSERT INTO records_fts(records_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    conn.execute(
        "CREATE TRIGGER records_fts_au AFTER UPDATE OF text ON records BEGIN "
        "INSERT INTO records_fts(records_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO records_fts(rowid, text) VALUES (new.id, new.text); END"
    )


def m004_queue_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for the mixed annotate queue (undecided audit issues) and audits, as first applied."""
    conn.execute("CREATE INDEX IF NOT EXISTS annotations_audit_issue ON annotations(audit_issue_id)"
                 " WHERE audit_issue_id IS NOT NULL")
    conn.execute("CREATE INDEX IF NOT EXISTS audits_project ON audits(project_id, id)")


def m005_annotations_created(conn: sqlite3.Connection) -> None:
    """"Labels since the last model" is asked on every label action: range-scan it."""
    conn.execute("CREATE INDEX IF NOT EXISTS annotations_created ON annotations(project_id, created_at)")


def m006_settings_adapter(conn: sqlite3.Connection) -> None:
    """Project settings name what is trained ``adapter`` (it was ``model``, also used for encoders)."""
    conn.execute("UPDATE projects SET settings = json_set(json_remove(settings, '$.model'), '$.adapter',"
                 " json_extract(settings, '$.model')) WHERE json_type(settings, '$.model') IS NOT NULL")


def m007_audits_method(conn: sqlite3.Connection) -> None:
    """``audits.model_version`` held a method description ("hybrid@minilm/5-fold/seed0"), not a model
    version id: name it ``method``."""
    conn.execute("ALTER TABLE audits RENAME COLUMN model_version TO method")


def m008_indexes_added_to_004(conn: sqlite3.Connection) -> None:
    """The indexes that were later edited into an already-applied 004 (so databases migrated before the
    edit never got them). IF NOT EXISTS: databases created after the edit already have them."""
    # "is this row retracted?" is asked for every history row the pages list
    conn.execute("CREATE INDEX IF NOT EXISTS annotations_target ON annotations(target_id)"
                 " WHERE target_id IS NOT NULL")
    # browse filters: current label (classification) and model confidence ranges
    conn.execute("CREATE INDEX IF NOT EXISTS records_label ON records(project_id, label)")
    conn.execute("CREATE INDEX IF NOT EXISTS suggestions_score ON suggestions(model_version_id, score)")


def m009_leases_and_heartbeats(conn: sqlite3.Connection) -> None:
    """Concurrency and crash recovery: a decision made on a record someone else labelled first is kept but
    ``stale`` (never the current label); a job records its owner process and a heartbeat, and a job
    failed because its worker died is ``interrupted`` (the next retrain check starts a new one)."""
    for statement in (
        "ALTER TABLE annotations ADD COLUMN stale INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE jobs ADD COLUMN owner_pid INTEGER",
        "ALTER TABLE jobs ADD COLUMN owner_host TEXT",
        "ALTER TABLE jobs ADD COLUMN heartbeat_at REAL",
        "ALTER TABLE jobs ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0",
    ):
        conn.execute(statement)


_ANNOTATION_COLUMNS = "id, project_id, record_id, annotator, kind, value, target_id, audit_issue_id, created_at, stale"


def m010_accounts_overlap_review(conn: sqlite3.Connection) -> None:
    """Teams: accounts, project membership, login sessions and attempts; leases per (record, annotator) so
    up to ``annotators_per_record`` people hold one record at once; a ``review`` annotation kind (a
    reviewer's final label); and each record's count of people with a live label, and whether it was reviewed
    (the queue and progress ask "is this record done?" on indexed columns)."""
    # The annotations table is rebuilt (a CHECK cannot be altered); its self-reference (target_id) names
    # the new table, and the rename rewrites it to ``annotations``.
    _run(conn, f"""
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin','reviewer','annotator')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
);
CREATE TABLE memberships (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    at REAL NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX login_attempts_user ON login_attempts(username, at);
CREATE INDEX login_attempts_client ON login_attempts(client, at);
DROP TABLE leases;
CREATE TABLE leases (
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL,
    annotator TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (record_id, annotator)
);
CREATE INDEX leases_project ON leases(project_id, annotator);
CREATE TABLE annotations_v10 (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('label','skip','retract','relabel','exclude','keep','ambiguous','review')),
    value TEXT,
    target_id INTEGER REFERENCES annotations_v10(id),
    audit_issue_id INTEGER,
    created_at TEXT NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0
);
INSERT INTO annotations_v10 ({_ANNOTATION_COLUMNS}) SELECT {_ANNOTATION_COLUMNS} FROM annotations;
DROP TABLE annotations;
ALTER TABLE annotations_v10 RENAME TO annotations;
CREATE INDEX annotations_record ON annotations(record_id, id);
CREATE INDEX annotations_project ON annotations(project_id, id);
CREATE INDEX annotations_annotator ON annotations(project_id, annotator, id);
CREATE INDEX annotations_audit_issue ON annotations(audit_issue_id) WHERE audit_issue_id IS NOT NULL;
CREATE INDEX annotations_created ON annotations(project_id, created_at);
CREATE INDEX annotations_target ON annotations(target_id) WHERE target_id IS NOT NULL;
ALTER TABLE records ADD COLUMN n_labellers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE records ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
UPDATE records SET n_labellers = LENGTH(annotators) - LENGTH(REPLACE(annotators, ',', '')) - 1
    WHERE annotators != '';
CREATE INDEX records_partial ON records(project_id, n_labellers, id) WHERE n_labellers > 0;
""")


def m011_argilla_sync(conn: sqlite3.Connection) -> None:
    """Argilla links (one dataset per project), what was pushed, and every response pulled.

    ``annotations.source`` says where a decision was made (``workbench`` or ``argilla``).
    """
    _run(conn, """
ALTER TABLE annotations ADD COLUMN source TEXT NOT NULL DEFAULT 'workbench';
CREATE TABLE argilla_links (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    workspace TEXT NOT NULL,
    dataset TEXT NOT NULL,
    dataset_id TEXT,
    auto_push INTEGER NOT NULL DEFAULT 1,
    linked_at TEXT NOT NULL,
    last_push_at TEXT,
    last_pull_at TEXT,
    watermark TEXT,
    last_error TEXT
);
CREATE TABLE argilla_records (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    argilla_id TEXT NOT NULL,
    pushed_at TEXT NOT NULL,
    suggestion_agent TEXT,
    audit_issue_id INTEGER,
    PRIMARY KEY (project_id, record_id)
);
CREATE TABLE argilla_responses (
    response_id TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    argilla_user TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    annotation_id INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX argilla_responses_project ON argilla_responses(project_id, deleted);
""")


def m012_explore_bulk_priority(conn: sqlite3.Connection) -> None:
    """The Explore map (2-D points and clusters per project, encoder and data version), bulk labels
    (rows of one bulk action share ``annotations.bulk_id``) and the "label these next" queue."""
    _run(conn, """
ALTER TABLE annotations ADD COLUMN bulk_id INTEGER;
CREATE INDEX annotations_bulk ON annotations(bulk_id) WHERE bulk_id IS NOT NULL;
CREATE TABLE bulk_actions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    value TEXT,
    n INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE queue_priority (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (project_id, record_id)
);
CREATE INDEX queue_priority_rank ON queue_priority(project_id, rank);
CREATE TABLE explore_maps (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    encoder TEXT NOT NULL,
    data_version TEXT NOT NULL,
    method TEXT NOT NULL DEFAULT '',
    seconds REAL,
    created_at TEXT NOT NULL
);
CREATE INDEX explore_maps_project ON explore_maps(project_id, encoder, data_version);
CREATE TABLE explore_points (
    map_id INTEGER NOT NULL REFERENCES explore_maps(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    x REAL NOT NULL,
    y REAL NOT NULL,
    cluster INTEGER NOT NULL,
    PRIMARY KEY (map_id, record_id)
);
CREATE TABLE explore_clusters (
    map_id INTEGER NOT NULL REFERENCES explore_maps(id) ON DELETE CASCADE,
    cluster INTEGER NOT NULL,
    size INTEGER NOT NULL,
    keywords TEXT NOT NULL,
    representatives TEXT NOT NULL,
    PRIMARY KEY (map_id, cluster)
);
""")


def m013_comments_archive(conn: sqlite3.Connection) -> None:
    """Comments on records, with the annotators' "unsure" flags (open until a reviewer resolves them), and
    archived projects (hidden from the lists and queues, kept whole)."""
    _run(conn, """
CREATE TABLE record_comments (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    unsure INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT
);
CREATE INDEX record_comments_record ON record_comments(record_id, id);
CREATE INDEX record_comments_open ON record_comments(project_id, record_id) WHERE unsure = 1 AND resolved_at IS NULL;
ALTER TABLE projects ADD COLUMN archived_at TEXT;
""")


def m014_ner_default_adapter(conn: sqlite3.Connection) -> None:
    """NER projects created with the old default adapter (``logreg``, which cannot do NER: every retrain
    failed) train the ``ner`` adapter."""
    _run(conn, """
UPDATE projects SET settings = json_remove(json_set(settings, '$.adapter', 'ner'), '$.model')
WHERE task = 'ner' AND COALESCE(json_extract(settings, '$.adapter'), json_extract(settings, '$.model'), 'logreg')
    = 'logreg';
""")


def m015_reviewed_index(conn: sqlite3.Connection) -> None:
    """The reviewed records, indexed: progress counts them after every label instead of scanning."""
    _run(conn, "CREATE INDEX records_reviewed ON records(project_id, n_labellers) WHERE reviewed = 1;")


MIGRATIONS: list[Migration] = [
    ("001_initial", m001_initial),
    ("002_fts", m002_fts),
    ("004_queue_indexes", m004_queue_indexes),
    ("005_annotations_created", m005_annotations_created),
    ("006_settings_adapter", m006_settings_adapter),
    ("007_audits_method", m007_audits_method),
    ("008_indexes_added_to_004", m008_indexes_added_to_004),
    ("009_leases_and_heartbeats", m009_leases_and_heartbeats),
    ("010_accounts_overlap_review", m010_accounts_overlap_review),
    ("011_argilla_sync", m011_argilla_sync),
    ("012_explore_bulk_priority", m012_explore_bulk_priority),
    ("013_comments_archive", m013_comments_archive),
    ("014_ner_default_adapter", m014_ner_default_adapter),
    ("015_reviewed_index", m015_reviewed_index),
]
