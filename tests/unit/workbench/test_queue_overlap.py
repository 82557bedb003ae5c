"""Task distribution: ``annotators_per_record`` distinct people per record, never the same one twice."""

from __future__ import annotations

import pytest

from tests.conftest import add_texts
from workbench import progress, queue
from workbench.config import ProjectSettings
from workbench.errors import ValidationError


def _overlap(store, n: int, texts=("t0", "t1", "t2", "t3")):
    project = store.create_project("p", "classification", ["a", "b"], settings=ProjectSettings(annotators_per_record=n))
    return project, add_texts(store, project, list(texts))


def _label(store, project, who: str, value="a"):
    item = queue.next_item(store, project, who)
    if item is None:
        return None
    queue.decide(store, project, who, item, "label", value)
    return item.record.id


def test_two_annotators_get_the_same_records_and_a_third_none_once_done(store):
    project, ids = _overlap(store, 2, ("t0", "t1"))
    alice = [_label(store, project, "alice") for _ in range(3)]
    assert alice == [ids[0], ids[1], None]  # never the same record twice to one person
    bob = [_label(store, project, "bob", "b") for _ in range(3)]
    assert bob == [ids[0], ids[1], None]  # the records alice started come first
    assert queue.next_item(store, project, "carol") is None  # both records have their 2 labels
    assert progress.completion(store, project) == {"done": 2, "partial": 0, "total": 2}
    assert {(r["record_id"], r["annotator"]) for r in store.live_labels(project)} == {
        (ids[0], "alice"), (ids[1], "alice"), (ids[0], "bob"), (ids[1], "bob")}


def test_partly_labelled_records_come_first_and_count_as_partial(store):
    project, ids = _overlap(store, 2)
    _label(store, project, "alice")
    assert progress.completion(store, project) == {"done": 0, "partial": 1, "total": 4}
    assert queue.next_item(store, project, "bob").record.id == ids[0]  # finish what was started


def test_leases_are_per_annotator_up_to_the_overlap(store):
    project, ids = _overlap(store, 2, ("only",))
    assert queue.next_item(store, project, "alice").record.id == ids[0]
    assert queue.next_item(store, project, "bob").record.id == ids[0]  # two people may hold it at once
    assert queue.next_item(store, project, "carol") is None  # a third may not
    assert queue.next_item(store, project, "alice").record.id == ids[0]  # a reload: the same lease


def test_with_one_annotator_per_record_the_queue_is_exclusive(store):
    project, ids = _overlap(store, 1, ("x", "y"))
    assert queue.next_item(store, project, "alice").record.id == ids[0]
    assert queue.next_item(store, project, "bob").record.id == ids[1]
    assert queue.next_item(store, project, "carol") is None


def test_a_label_after_the_record_filled_up_is_stale(store):
    project, ids = _overlap(store, 2, ("only",))
    items = {who: queue.next_item(store, project, who) for who in ("alice", "bob")}
    assert not queue.decide(store, project, "alice", items["alice"], "label", "a").stale
    assert not queue.decide(store, project, "bob", items["bob"], "label", "b").stale  # overlap: not "too late"
    store.annotate(project, ids[0], "rita", "review", "b")
    assert store.get_record(ids[0]).label == "b" and store.get_record(ids[0]).reviewed


def test_a_review_is_final_and_done(store):
    project, ids = _overlap(store, 3, ("only",))
    _label(store, project, "alice", "a")
    store.annotate(project, ids[0], "rita", "review", "b")
    _ = store.annotate(project, ids[0], "zed", "label", "a")  # a later label does not override the review
    record = store.get_record(ids[0])
    assert record.label == "b" and record.reviewed
    assert queue.next_item(store, project, "carol") is None  # reviewed: done whatever the count
    assert progress.completion(store, project)["done"] == 1
    assert store.label_provenance([ids[0]])[ids[0]][0] == "rita"
    store.undo_last(project, "rita")
    assert store.get_record(ids[0]).label == "a" and not store.get_record(ids[0]).reviewed


def test_annotators_per_record_is_validated():
    for bad in (0, 11, "2", True, 1.5):
        with pytest.raises(ValidationError, match="annotators_per_record"):
            ProjectSettings(annotators_per_record=bad)
