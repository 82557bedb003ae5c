"""Browse: FTS search, filters, pagination."""

from __future__ import annotations

import pytest

from tests.conftest import add_texts
from workbench.browse import BrowseFilter, browse, fts_query
from workbench.errors import ValidationError
from workbench.store import now


def test_search_and_filters(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "alice", "label", "pos")
    store.annotate(project, ids[1], "bob", "label", "neg")
    store.annotate(project, ids[2], "bob", "skip")
    store.annotate(project, ids[3], "bob", "exclude")
    ids_of = lambda f: [r["id"] for r in browse(store, project, f).rows]  # noqa: E731
    assert ids_of(BrowseFilter(text="plot")) == [ids[1]]
    assert ids_of(BrowseFilter(text="lov*")) == [ids[3]]
    assert ids_of(BrowseFilter(text='"awful" (plot')) == [ids[1]]  # FTS syntax is neutralised
    assert ids_of(BrowseFilter(label="pos")) == [ids[0]]
    assert ids_of(BrowseFilter(annotator="bob")) == [ids[1]]
    assert ids_of(BrowseFilter(status="skipped")) == [ids[2]]
    assert ids_of(BrowseFilter(status="excluded")) == [ids[3]]
    assert ids_of(BrowseFilter(status="unlabelled")) == [ids[3]]


def test_score_and_quality_filters(store, clf_project):
    project, ids = clf_project
    version = store.add_model_version(project, "logreg", project.labels)
    store.write_suggestions(project, version, [(ids[0], "pos", 0.9, 0.1, None), (ids[1], "neg", 0.4, 0.6, None)])
    store.activate_model_version(project, version)
    project = store.get_project(project.id)
    audit = store.execute("INSERT INTO audits (project_id, source, created_at) VALUES (?, 'reference', ?)",
                          (project.id, now())).lastrowid
    store.execute("INSERT INTO audit_issues (audit_id, project_id, record_id, issue_type, quality, created_at)"
                  " VALUES (?,?,?,?,?,?)", (audit, project.id, ids[2], "label_issue", 0.05, now()))
    page = browse(store, project, BrowseFilter(score_max=0.5))
    assert [r["id"] for r in page.rows] == [ids[1]] and page.rows[0]["suggested"] == "neg"
    assert [r["id"] for r in browse(store, project, BrowseFilter(score_min=0.5)).rows] == [ids[0]]
    assert [r["id"] for r in browse(store, project, BrowseFilter(quality_max=0.1)).rows] == [ids[2]]


def test_pagination(store):
    project = store.create_project("many", "classification", ["a", "b"])
    ids = add_texts(store, project, [f"row {i}" for i in range(53)])
    first = browse(store, project, page=1, page_size=25)
    last = browse(store, project, page=3, page_size=25)
    assert (first.total, first.pages) == (53, 3)
    assert [r["id"] for r in first.rows] == ids[:25] and [r["id"] for r in last.rows] == ids[50:]


def test_bad_filters():
    with pytest.raises(ValidationError, match="unknown status"):
        BrowseFilter(status="done")
    with pytest.raises(ValidationError, match="between 0 and 1"):
        BrowseFilter(score_min=2)
    assert fts_query('don\'t "x" y*') == '"don" "t" "x" "y"*'
