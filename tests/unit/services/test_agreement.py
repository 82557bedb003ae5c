"""Agreement metrics against hand-computed and published values."""

from __future__ import annotations

import numpy as np
import pytest

from services import agreement
from tests.conftest import add_texts
from workbench.errors import ValidationError

# Three items, two raters: (a,a), (a,b), (b,b).
A = ["a", "a", "b"]
B = ["a", "b", "b"]


def test_cohen_kappa_hand_computed():
    # p_o = 2/3; p_e = 2/3*1/3 + 1/3*2/3 = 4/9; kappa = (6/9 - 4/9) / (5/9) = 0.4
    assert agreement.cohen_kappa(A, B) == pytest.approx(0.4)
    assert agreement.cohen_kappa(A, A) == pytest.approx(1.0)
    assert agreement.cohen_kappa(["x", "x"], ["x", "x"]) == 1.0
    with pytest.raises(ValidationError):
        agreement.cohen_kappa(["a"], ["a", "b"])


def test_fleiss_kappa_hand_computed_and_wikipedia():
    # P_i = 1, 0, 1 -> P_bar = 2/3; p = (.5, .5) -> P_e = .5; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert agreement.fleiss_kappa([[2, 0], [1, 1], [0, 2]]) == pytest.approx(1 / 3)
    # Fleiss' kappa worked example (Wikipedia): 10 subjects, 14 raters, 5 categories -> 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert agreement.fleiss_kappa(table) == pytest.approx(0.210, abs=5e-4)


def test_krippendorff_alpha_hand_computed_and_published():
    # coincidences: o_aa = 2 + 0, o_ab = o_ba = 1, o_bb = 2; n_a = n_b = 3, n = 6
    # alpha = 1 - (n - 1) * 2 / (2 * 3 * 3) = 1 - 10/18
    assert agreement.krippendorff_alpha(list(zip(A, B))) == pytest.approx(1 - 10 / 18)
    # Krippendorff (2011) "Computing Krippendorff's alpha-reliability", nominal example: 0.743
    n = None
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    units = list(zip(*coders))
    assert agreement.krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    with pytest.raises(ValidationError):
        agreement.krippendorff_alpha([[1], [2, None]])


def test_span_f1_is_order_independent_and_exact():
    s1 = [{"start": 0, "end": 5, "label": "per"}, {"start": 10, "end": 15, "label": "loc"}]
    s2 = [{"start": 10, "end": 15, "label": "loc"}, {"start": 0, "end": 4, "label": "per"}]
    out = agreement.span_f1([s1, []], [list(reversed(s2)), []])
    # one exact match of two spans each: P = R = F1 = 1/2
    assert out["f1"] == pytest.approx(0.5) and out["precision"] == pytest.approx(0.5)
    assert agreement.span_f1([s1], [list(reversed(s1))])["f1"] == 1.0
    assert agreement.span_f1([[]], [[]])["f1"] == 1.0


def test_store_report_and_disagreements(store, clf_project):
    project, ids = clf_project
    for rid, (x, y) in zip(ids, [("pos", "pos"), ("neg", "pos"), ("neutral", "neutral")]):
        store.annotate(project, rid, "ann", "label", x)
        store.annotate(project, rid, "bob", "label", y)
    store.annotate(project, ids[3], "ann", "label", "pos")  # single annotator: not in agreement
    report = agreement.agreement_report(store, project)
    assert report["n_records"] == 3 and report["annotators"] == ["ann", "bob"]
    # ann = pos, neg, neutral; bob = pos, pos, neutral
    expected = agreement.cohen_kappa(["pos", "neg", "neutral"], ["pos", "pos", "neutral"])
    assert report["pairs"][0]["kappa"] == pytest.approx(expected)
    assert report["krippendorff_alpha"] == pytest.approx(
        agreement.krippendorff_alpha([["pos", "pos"], ["neg", "pos"], ["neutral", "neutral"]]))
    dis = agreement.disagreements(store, project)
    assert [d["record_id"] for d in dis] == [ids[1]]
    assert dis[0]["labels"] == {"ann": "neg", "bob": "pos"}


def test_ner_pairs_use_span_f1(store, ner_project):
    project, ids = ner_project
    store.annotate(project, ids[0], "ann", "label", [{"start": 0, "end": 5, "label": "person"}])
    store.annotate(project, ids[0], "bob", "label", [{"start": 0, "end": 5, "label": "person"},
                                                       {"start": 14, "end": 19, "label": "location"}])
    report = agreement.agreement_report(store, project)
    assert report["pairs"][0]["f1"] == pytest.approx(2 / 3)
    assert report["fleiss_kappa"] is None


def test_crowdlab_consensus_prefers_the_reliable_annotator(store):
    project = store.create_project("crowd", "classification", ["pos", "neg"])
    pos = ["great film", "loved it", "wonderful acting", "a joy", "brilliant story", "superb fun"]
    neg = ["awful film", "hated it", "terrible acting", "a bore", "dreadful story", "painful mess"]
    ids = add_texts(store, project, pos + neg)
    truth = ["pos"] * 6 + ["neg"] * 6
    rng = np.random.default_rng(0)
    for rid, t in zip(ids, truth):
        store.annotate(project, rid, "good", "label", t)
        store.annotate(project, rid, "ok", "label", t)
        store.annotate(project, rid, "noisy", "label", t if rng.random() < 0.4 else ("neg" if t == "pos" else "pos"))
    out = agreement.consensus(store, project, folds=3)
    assert [r["consensus"] for r in out["records"]] == truth
    quality = {a["annotator"]: a["quality"] for a in out["annotators"]}
    assert quality["noisy"] < quality["good"]


def test_one_annotator_gets_the_vote_not_a_crowdlab_crash(store):
    """The Review page raised cleanlab's 'labels_multiannotator must have more than one column' with one annotator."""
    from services.agreement import consensus, team_consensus
    from tests.conftest import add_texts

    project = store.create_project("solo", "classification", ["pos", "neg"])
    ids = add_texts(store, project, [f"text {i}" for i in range(8)])
    for i, rid in enumerate(ids):
        store.annotate(project, rid, "alice", "label", "pos" if i % 2 else "neg")
    with pytest.raises(ValidationError, match="at least two annotators"):
        consensus(store, project)
    labels, quality = team_consensus(store, project)
    assert quality == {} and {v["label"] for v in labels.values()} == {"pos", "neg"} and len(labels) == 8
