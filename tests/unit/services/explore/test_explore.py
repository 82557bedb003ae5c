"""The Explore map on a small synthetic set with three planted topics: deterministic, one cluster per topic,
keywords that name it, stats per cluster, bulk labels undone as one action, "label these next"."""

from __future__ import annotations

import random

import numpy as np
import pytest

from services import explore
from tests.conftest import add_texts
from workbench import queue

TOPICS = {
    "football": ["football", "goal", "striker", "league", "match", "keeper", "stadium"],
    "cooking": ["recipe", "oven", "garlic", "pasta", "sauce", "baking", "kitchen"],
    "astronomy": ["telescope", "galaxy", "planet", "orbit", "nebula", "comet", "stars"],
}


def planted(n_per_topic: int = 30, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, topics = [], []
    for topic, words in TOPICS.items():
        for i in range(n_per_topic):
            a, b, c = rng.sample(words, 3)
            texts.append(f"The {a} and the {b} were all about {c} today, note {i}")
            topics.append(topic)
    return texts, topics


@pytest.fixture
def topics_project(store):
    project = store.create_project("topics", "classification", list(TOPICS))
    texts, topics = planted()
    ids = add_texts(store, project, texts, topics)
    return project, ids, topics


def _clusters_by_topic(points, ids, topics):
    by_id = {p["record_id"]: p["cluster"] for p in points}
    return {t: {by_id[i] for i, tt in zip(ids, topics) if tt == t} for t in TOPICS}


def test_each_planted_topic_becomes_a_cluster_named_by_its_words(store, topics_project):
    project, ids, topics = topics_project
    map_id = explore.build_map(store, project)
    points = store.map_points(map_id, project, None)
    assert len(points) == len(ids) and all(np.isfinite([p["x"], p["y"]]).all() for p in points)
    found = _clusters_by_topic(points, ids, topics)
    rows = {r["cluster"]: r for r in explore.cluster_table(store, project, map_id)}
    for topic, clusters in found.items():
        main = max(clusters, key=lambda c: sum(1 for p in points if p["cluster"] == c))
        assert main != explore.NOISE
        assert set(rows[main]["keywords"]) & set(TOPICS[topic]), (topic, rows[main]["keywords"])
        assert len(rows[main]["representatives"]) == 3
    mains = [max(c, key=lambda x: sum(1 for p in points if p["cluster"] == x)) for c in found.values()]
    assert len(set(mains)) == 3  # three different clusters


def test_the_map_is_deterministic_and_cached_until_records_change(store, topics_project):
    project, ids, _topics = topics_project
    first = explore.build_map(store, project)
    assert explore.build_map(store, project) == first  # cached
    coords = [(p["x"], p["y"]) for p in store.map_points(first, project, None)]
    again = explore.build_map(store, project, force=True)
    assert [(p["x"], p["y"]) for p in store.map_points(again, project, None)] == coords  # same seed, same map
    add_texts(store, project, ["a brand new text about the garden"])
    assert explore.current_map(store, project) is None  # records changed: stale


def test_cluster_stats_count_labels_predictions_and_flags(store, topics_project):
    project, ids, topics = topics_project
    for rid, topic in list(zip(ids, topics))[:5]:
        store.annotate(project, rid, "ann", "label", topic)
    map_id = explore.build_map(store, project)
    rows = explore.cluster_table(store, project, map_id)
    assert sum(r["size"] for r in rows) == len(ids)
    assert sum(sum(r["labels"].values()) for r in rows) == 5
    assert all(0 <= r["labelled"] <= 1 for r in rows) and all(r["flags"] == 0 for r in rows)


def test_bulk_label_writes_exactly_the_selection_and_undo_takes_it_back(store, topics_project):
    project, ids, _topics = topics_project
    store.annotate(project, ids[-1], "ann", "label", "cooking")  # an earlier, single decision
    chosen = ids[:4]
    bulk = store.bulk_label(project, chosen, "ann", "football")
    rows = store.query("SELECT record_id, created_at, source, bulk_id FROM annotations ORDER BY id")
    assert [(r["record_id"], r["source"], r["bulk_id"]) for r in rows[1:]] == [(i, "bulk", bulk) for i in chosen]
    assert {store.get_record(i).label for i in chosen} == {"football"}
    assert store.label_times(project) == [{"annotator": "ann", "created_at": rows[0]["created_at"]}]  # not a speed
    store.undo_last(project, "ann")
    assert all(store.get_record(i).status == "unlabelled" for i in chosen)
    assert store.get_record(ids[-1]).label == "cooking"  # the single decision before stays
    store.undo_last(project, "ann")
    assert store.get_record(ids[-1]).status == "unlabelled"


def test_label_these_next_and_one_representative_per_cluster(store, topics_project):
    project, ids, _topics = topics_project
    store.prioritise(project, [ids[50], ids[10]])
    assert queue.next_item(store, project, "ann").record.id == ids[50]
    store.annotate(project, ids[50], "ann", "label", "cooking")
    assert queue.next_item(store, project, "ann").record.id == ids[10]
    store.annotate(project, ids[10], "ann", "label", "football")
    map_id = explore.build_map(store, project)
    n = explore.queue_representatives(store, project, map_id)
    clusters = [c for c in store.map_clusters(map_id) if c["cluster"] != explore.NOISE]
    assert n == len(clusters) >= 3
    biggest = max(clusters, key=lambda c: c["size"])
    assert queue.next_item(store, project, "bob").record.id == biggest["representatives"][0]


def test_tiny_projects_still_get_a_map():
    assert explore.reduce(np.zeros((0, 4))).shape == (0, 2)
    coords = explore.reduce(np.random.default_rng(0).normal(size=(5, 8)))
    assert coords.shape == (5, 2)
    labels, method = explore.cluster(coords)
    assert method == "single" and set(labels) == {0}
