"""The annotate queue: order, leases, never twice, mixed re-check share."""

from __future__ import annotations

import pytest

from tests.conftest import add_texts
from workbench.config import ProjectSettings
from workbench.errors import NotFoundError, ValidationError
from workbench.queue import decide, next_item, next_record, open_record, queue_preview
from workbench.store import now


def test_import_order_and_never_twice(store, clf_project):
    project, ids = clf_project
    served = []
    while (item := next_item(store, project, "ann")) is not None:
        served.append(item.record.id)
        kind = "skip" if len(served) == 2 else "label"
        decide(store, project, "ann", item, kind, "pos" if kind == "label" else None)
    assert served == ids  # import order, each exactly once (skipped one not served again)
    assert next_record(store, project, "ann") is None


def test_reload_serves_the_same_leased_record(store, clf_project):
    project, ids = clf_project
    first = next_item(store, project, "ann")
    again = next_item(store, project, "ann")
    assert first.record.id == again.record.id == ids[0] and again.source == "lease"


def test_two_annotators_never_get_the_same_unlabelled_record(store, clf_project):
    project, ids = clf_project
    a = next_record(store, project, "alice")
    b = next_record(store, project, "bob")
    assert a.id != b.id
    # a lease taken a moment ago by someone else is refused
    assert store.lease(project, a.id, "bob") is False
    assert {a.id, b.id} == set(ids[:2])


def test_skipped_by_someone_else_is_served_last(store, clf_project):
    project, ids = clf_project
    item = next_item(store, project, "alice")
    decide(store, project, "alice", item, "skip")
    order = []
    while (item := next_item(store, project, "bob")) is not None:
        order.append(item.record.id)
        decide(store, project, "bob", item, "label", "neg")
    assert order == ids[1:] + ids[:1]
    assert next_item(store, project, "alice") is None  # alice skipped it, bob labelled the rest


def test_active_learning_order_highest_uncertainty_first(store, clf_project):
    project, ids = clf_project
    version = store.add_model_version(project, "logreg", project.labels)
    store.write_suggestions(project, version, [(ids[0], "pos", 0.9, 0.1, None), (ids[1], "neg", 0.5, 0.8, None),
                                               (ids[2], "pos", 0.6, 0.5, None)])
    store.activate_model_version(project, version)
    project = store.get_project(project.id)
    assert [r.id for r in queue_preview(store, project, "ann", n=4)] == [ids[1], ids[2], ids[0], ids[3]]
    item = next_item(store, project, "ann")
    assert (item.record.id, item.source) == (ids[1], "active-learning")


def _audit(store, project, ids, qualities):
    cur = store.execute("INSERT INTO audits (project_id, source, created_at) VALUES (?, 'annotations', ?)",
                        (project.id, now()))
    for rid, q in zip(ids, qualities):
        store.execute("INSERT INTO audit_issues (audit_id, project_id, record_id, issue_type, given, suggested,"
                      " quality, created_at) VALUES (?,?,?,?,?,?,?,?)",
                      (cur.lastrowid, project.id, rid, "label_issue", '"pos"', '"neg"', q, now()))


def test_mixed_queue_serves_about_the_share_of_rechecks(store):
    project = store.create_project("mix", "classification", ["pos", "neg"],
                                   settings=ProjectSettings(recheck_share=0.25))
    ids = add_texts(store, project, [f"text number {i}" for i in range(60)])
    for rid in ids[:12]:
        store.annotate(project, rid, "lead", "label", "pos")
    _audit(store, project, ids[:12], [0.5 - i / 100 for i in range(12)])
    kinds, recheck_ids = [], []
    for _ in range(40):
        item = next_item(store, project, "ann")
        kinds.append(item.kind)
        if item.kind == "recheck":
            recheck_ids.append(item.record.id)
            assert item.audit_issue["suggested"] == "neg"
        decide(store, project, "ann", item, "label", "neg")
    assert kinds.count("recheck") == 10  # 25 % of 40
    assert recheck_ids == list(reversed(ids[:12]))[:10]  # lowest quality first
    # a decided issue is linked to its annotation (relabel, since the label changed) and not served again
    rows = store.query("SELECT kind FROM annotations WHERE audit_issue_id IS NOT NULL")
    assert len(rows) == 10 and {r["kind"] for r in rows} == {"relabel"}


def test_recheck_keep_when_label_confirmed(store, clf_project):
    project, ids = clf_project
    store.annotate(project, ids[0], "lead", "label", "pos")
    _audit(store, project, ids[:1], [0.1])
    project = store.update_project(project, settings=ProjectSettings(recheck_share=1.0))
    item = next_item(store, project, "ann")
    assert item.kind == "recheck"
    decide(store, project, "ann", item, "label", "pos")
    assert store.history(ids[0])[-1].kind == "keep"
    assert next_item(store, project, "ann").kind == "new"


def test_open_record_and_errors(store, clf_project, ner_project):
    project, ids = clf_project
    assert open_record(store, project, ids[2]).kind == "revisit"
    with pytest.raises(NotFoundError):
        open_record(store, project, ner_project[1][0])
    with pytest.raises(ValidationError):
        next_item(store, project, "  ")


def test_label_benchmark_runs_on_a_small_project(capsys):
    from benchmarks.label_latency import main

    assert main(["--records", "300", "--actions", "20", "--prelabelled", "30"]) == 0
    out = capsys.readouterr().out
    assert "action: n=20" in out and "panel: n=20" in out and "p95=" in out


def test_reserved_by_others_counts_live_leases(store, clf_project):
    from workbench.queue import reserved_by_others

    project, _ = clf_project
    next_item(store, project, "alice")
    assert reserved_by_others(store, project, "bob") == 1
    assert reserved_by_others(store, project, "alice") == 0


def test_a_record_labelled_after_it_was_selected_is_not_leased(store, clf_project):
    # the race behind "served twice": candidates are selected, then leased; the lease re-checks the status
    project, ids = clf_project
    item = next_item(store, project, "alice")
    decide(store, project, "alice", item, "label", "pos")  # labelling drops alice's lease
    assert not store.lease(project, item.record.id, "bob", status="unlabelled")
    assert store.lease(project, ids[-1], "bob", status="unlabelled")


def test_a_late_label_after_an_expired_lease_is_kept_but_not_current(store, clf_project):
    project, _ = clf_project
    first = next_item(store, project, "alice")
    store.lease(project, first.record.id, "alice", seconds=-1)  # alice's lease expires while she looks
    second = next_item(store, project, "bob")
    assert second.record.id == first.record.id
    assert not decide(store, project, "bob", second, "label", "neg").stale
    late = decide(store, project, "alice", first, "label", "pos")
    assert late.stale and "bob labelled this record before you did" in late.notice
    record = store.get_record(first.record.id)
    assert record.label == "neg" and record.status == "labelled"
    history = store.history(first.record.id)
    assert [(a.annotator, a.value, a.stale) for a in history] == [("bob", "neg", False), ("alice", "pos", True)]
    # her own second save on an item she was served is an edit, not a late label (NER saves every edit)
    third = next_item(store, project, "dora")
    assert not decide(store, project, "dora", third, "label", "pos").stale
    assert not decide(store, project, "dora", third, "label", "neg").stale
    assert store.get_record(third.record.id).label == "neg"
    # a skip is never late, and a deliberate revisit (history, browse) may change the label
    assert not decide(store, project, "carol", open_record(store, project, first.record.id), "label", "pos").stale
    assert store.get_record(first.record.id).label == "pos"


def test_opening_an_unlabelled_record_leases_it(store, clf_project):
    project, ids = clf_project
    opened = open_record(store, project, ids[0], "alice")  # Browse "Open"
    assert (opened.kind, opened.source) == ("new", "opened")
    bobs = next_item(store, project, "bob")
    assert bobs.record.id != ids[0]  # not handed to bob while it is on alice's screen
    carols = open_record(store, project, bobs.record.id, "carol")  # bob holds this one
    assert (carols.kind, carols.source) == ("new", "opened-held")
    decide(store, project, "bob", bobs, "label", "neg")
    assert decide(store, project, "carol", carols, "label", "pos").stale  # bob's came first
    assert store.get_record(bobs.record.id).label == "neg"
