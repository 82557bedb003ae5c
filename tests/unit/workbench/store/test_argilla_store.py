"""The Argilla bookkeeping tables: links, pushed records, pulled responses, counts and push sets."""

from __future__ import annotations

import pytest

from workbench.errors import NotFoundError, ValidationError


@pytest.fixture
def linked(store, clf_project):
    project, ids = clf_project
    store.link_argilla(project, "http://a:1", "workbench", "reviews")
    return project, ids


def test_relinking_elsewhere_forgets_what_was_pushed_and_pulled(store, linked):
    project, ids = linked
    store.mark_pushed(project, [(ids[0], "uuid-0", "logreg-v1", None)])
    store.save_response(project, "r1", ids[0], "ann1", "submitted", "2026-01-01T00:00:00", None)
    store.link_argilla(project, "http://a:1", "workbench", "reviews", auto_push=False)  # same target
    assert store.pushed_ids(project) == [ids[0]] and store.argilla_link(project)["auto_push"] is False
    store.link_argilla(project, "http://a:1", "workbench", "other")
    assert store.pushed_ids(project) == [] and store.pulled_responses(project) == {}
    store.unlink_argilla(project)
    assert store.argilla_link(project) is None
    with pytest.raises(NotFoundError, match="not linked"):
        store.update_argilla_link(project, last_error="x")


def test_an_audit_issue_stays_on_a_pushed_record_until_replaced(store, linked):
    project, ids = linked
    store.mark_pushed(project, [(ids[0], "uuid-0", "given-label", 7)])
    store.mark_pushed(project, [(ids[0], "uuid-0", "logreg-v2", None)])
    assert store.pushed_records(project)[ids[0]] == {"record_id": ids[0], "argilla_id": "uuid-0",
                                                      "suggestion_agent": "logreg-v2", "audit_issue_id": 7}
    assert store.record_ids_by_argilla_id(project, ["uuid-0", "nope"]) == {"uuid-0": ids[0]}


def test_counts_pushed_responded_pending(store, linked):
    project, ids = linked
    store.mark_pushed(project, [(rid, f"u{rid}", None, None) for rid in ids[:3]])
    store.save_response(project, "r1", ids[0], "ann1", "submitted", "t", None)
    store.save_response(project, "r2", ids[0], "ann2", "discarded", "t", None)
    store.save_response(project, "r3", ids[1], "ann1", "draft", "t", None)
    store.save_response(project, "r4", ids[2], "ann1", "submitted", "t", None, deleted=True)
    assert store.argilla_counts(project) == {"pushed": 3, "responded": 1, "pending": 2, "responses": 3}


def test_push_sets(store, linked):
    project, ids = linked
    store.annotate(project, ids[1], "ann", "label", "neg")
    store.annotate(project, ids[2], "ann", "exclude")
    assert store.push_candidates(project, "all", None, None) == [ids[0], ids[1], ids[3]]
    assert store.push_candidates(project, "unlabelled", None, 1) == [ids[0]]
    assert store.push_candidates(project, "flagged", None, None) == []
    store.mark_pushed(project, [(ids[3], "u3", None, None)])
    assert store.push_candidates(project, "pushed", None, None) == [ids[3]]


def test_latest_live_label_time_ignores_pulled_and_retracted_rows(store, linked):
    project, ids = linked
    assert store.latest_live_label_time(ids[0], "ann") is None
    row = store.annotate(project, ids[0], "ann", "label", "pos")
    first = store.latest_live_label_time(ids[0], "ann")
    assert first is not None
    store.annotate(project, ids[0], "ann", "label", "neg", source="argilla")
    assert store.latest_live_label_time(ids[0], "ann") == first
    store.annotate(project, ids[0], "ann", "retract", target_id=row)
    assert store.latest_live_label_time(ids[0], "ann") is None


def test_an_unknown_annotation_source_is_refused(store, clf_project):
    project, ids = clf_project
    with pytest.raises(ValidationError, match="annotation source"):
        store.annotate(project, ids[0], "ann", "label", "pos", source="email")
