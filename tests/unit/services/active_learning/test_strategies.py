"""Query strategies on hand-made probabilities: exact picks and pool errors."""

from __future__ import annotations

import numpy as np
import pytest

from services.active_learning import (
    STRATEGIES,
    cold_start,
    cold_start_sample,
    entropy_scores,
    needs_cold_start,
    queue_scores,
    select,
    sentence_probs,
    uncertainty_scores,
    zero_shot,
)
from workbench.errors import EmptyPoolError, PoolExhaustedError, ValidationError

# rows: confident, tie between two, flat over three, mildly unsure
PROBS = np.array([
    [0.98, 0.01, 0.01],
    [0.45, 0.45, 0.10],
    [0.34, 0.33, 0.33],
    [0.70, 0.20, 0.10],
])


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_margin_picks_the_tie_first():
    # margins: .97, .00, .01, .50
    assert select("margin", PROBS, 4).tolist() == [1, 2, 3, 0]


def test_least_confidence_and_entropy_pick_the_flat_row_first():
    assert select("least_confidence", PROBS, 2).tolist() == [2, 1]
    assert select("entropy", PROBS, 2).tolist() == [2, 1]


def test_ties_keep_pool_order():
    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    assert select("margin", probs, 2).tolist() == [0, 2]


def test_random_is_seeded_and_a_permutation():
    a = select("random", PROBS, 4, seed=3)
    assert sorted(a.tolist()) == [0, 1, 2, 3]
    assert a.tolist() == select("random", PROBS, 4, seed=3).tolist()


def test_uncertainty_scores_direction_and_range():
    s = uncertainty_scores("margin", PROBS)
    assert s.shape == (4,)
    assert s[1] == pytest.approx(1.0) and s[0] == pytest.approx(0.03)
    for name in ("least_confidence", "entropy"):
        s = uncertainty_scores(name, PROBS)
        assert 0 <= s.min() and s.max() <= 1.0 + 1e-9 and int(np.argmax(s)) == 2


def test_multilabel_uses_the_label_closest_to_threshold():
    probs = np.array([[0.9, 0.05], [0.55, 0.99], [0.2, 0.7]])
    assert select("margin", probs, 3, multilabel=True).tolist() == [1, 2, 0]


def test_ner_sentence_aggregation_max_and_mean():
    sure = np.array([[0.99, 0.01], [0.98, 0.02]])
    one_unsure = np.array([[0.99, 0.01], [0.5, 0.5], [0.99, 0.01], [0.99, 0.01]])
    all_meh = np.array([[0.7, 0.3], [0.7, 0.3]])
    probs_max = sentence_probs([sure, one_unsure, all_meh, np.zeros((0, 2))], "max")
    assert select("margin", probs_max, 4).tolist() == [1, 2, 0, 3]
    probs_mean = sentence_probs([sure, one_unsure, all_meh], "mean")
    assert select("margin", probs_mean, 3).tolist() == [2, 1, 0]


def test_ner_span_entropy_reads_only_the_tokens_that_may_be_entities():
    # columns O, B-x, I-x
    no_entity = np.array([[0.95, 0.03, 0.02]] * 6)  # fairly unsure O everywhere, but no candidate span
    sure_entity = np.array([[0.99, 0.005, 0.005], [0.01, 0.98, 0.01], [0.01, 0.01, 0.98]])
    unsure_entity = np.array([[0.99, 0.005, 0.005]] * 20 + [[0.4, 0.35, 0.25]])  # long, one unsure candidate
    probs = sentence_probs([no_entity, sure_entity, unsure_entity], "span_entropy")
    assert probs[0].tolist() == [1.0, 0.0]  # nothing may be an entity: asked last
    assert select("margin", probs, 3).tolist() == [2, 1, 0]
    # the 20 sure O tokens do not dilute the unsure candidate: its own normalised entropy
    assert probs[2, 1] * 2 == pytest.approx(entropy_scores(unsure_entity[-1:])[0])
    # "mean" is diluted by them
    assert sentence_probs([unsure_entity], "mean")[0, 1] < probs[2, 1]


def test_ner_uncertainty_names_are_checked_and_the_setting_validates():
    from workbench.config import ProjectSettings

    with pytest.raises(ValidationError, match="unknown NER uncertainty 'entropy'; valid: max, mean, span_entropy"):
        sentence_probs([np.array([[0.5, 0.5]])], "entropy")
    with pytest.raises(ValidationError, match="unknown ner_uncertainty 'min'"):
        ProjectSettings.from_dict({"ner_uncertainty": "min"})
    assert ProjectSettings().ner_uncertainty == "max"


def test_empty_pool_and_exhausted_pool_errors():
    for name in STRATEGIES:
        with pytest.raises(EmptyPoolError):
            select(name, np.zeros((0, 3)), 1, embeddings=np.zeros((0, 4)))
        with pytest.raises(PoolExhaustedError, match="only 4 remain"):
            select(name, PROBS, 5, embeddings=_unit(np.eye(4)))


def test_unknown_strategy_lists_valid_ones():
    with pytest.raises(ValidationError, match="unknown query strategy .*; valid: random, least_confidence, margin"):
        select("bald", PROBS, 1)


def test_diversity_strategy_needs_embeddings():
    with pytest.raises(ValidationError, match="needs pool embeddings"):
        select("margin_kcenter", PROBS, 2)


def test_diverse_batch_skips_near_duplicates():
    # rows 0 and 1 are the two most uncertain but the same text; row 2 is elsewhere
    probs = np.array([[0.5, 0.5], [0.51, 0.49], [0.6, 0.4], [0.9, 0.1]])
    emb = _unit([[1, 0, 0], [1, 0.01, 0], [0, 1, 0], [0, 0, 1]])
    assert select("margin", probs, 2).tolist() == [0, 1]
    assert select("margin_diverse", probs, 2, embeddings=emb).tolist() == [0, 2]
    assert select("margin_kcenter", probs, 2, embeddings=emb, candidate_factor=2).tolist() == [0, 2]


def test_kcenter_treats_labelled_region_as_covered():
    probs = np.array([[0.5, 0.5], [0.52, 0.48], [0.9, 0.1]])
    emb = _unit([[1, 0], [0, 1], [0.7, 0.7]])
    labelled = _unit([[1, 0.05]])
    assert select("margin_kcenter", probs, 1, embeddings=emb, labelled_embeddings=labelled,
                  candidate_factor=2).tolist() == [1]


def test_queue_scores_put_the_selected_batch_first_in_pick_order():
    emb = _unit(np.eye(4))
    scores = queue_scores("margin", PROBS, head=2, embeddings=emb)
    assert np.argsort(-scores).tolist() == [1, 2, 3, 0]
    assert scores[1] > scores[2] > 1.0 >= scores[3]


def test_cold_start_picks_one_per_cluster():
    rng = np.random.default_rng(0)
    centres = _unit(rng.normal(size=(3, 8)))
    emb = _unit(np.vstack([c + 0.05 * rng.normal(size=(10, 8)) for c in centres]))
    picks = cold_start(emb, 3, seed=0)
    assert sorted(set(p // 10 for p in picks.tolist())) == [0, 1, 2]
    with pytest.raises(PoolExhaustedError):
        cold_start(emb, 31)


def test_the_cold_start_sample_is_fixed_by_record_id_and_moves_on_by_one():
    ids = np.arange(1000, 1500)
    first = cold_start_sample(ids, limit=50)
    assert len(first) == 50 and np.all(np.diff(first) > 0)
    assert np.array_equal(first, cold_start_sample(ids, limit=50))  # the same draw every round
    assert not np.array_equal(first, np.arange(50))  # not import order
    # a labelled record leaves the pool: the other 49 stay, one record joins
    chosen = set(ids[first].tolist())
    gone = ids[first[0]]
    rest = ids[ids != gone]
    after = set(rest[cold_start_sample(rest, limit=50)].tolist())
    assert len(after & chosen) == 49 and gone not in after
    assert np.array_equal(cold_start_sample(ids[:30], limit=50), np.arange(30))


def test_needs_cold_start_until_two_labels_per_class():
    assert needs_cold_start({"a": 5, "b": 1}, ["a", "b"])
    assert not needs_cold_start({"a": 2, "b": 2}, ["a", "b"])


def test_zero_shot_prefers_the_closest_label_name():
    labels = _unit([[1, 0], [0, 1]])
    probs = zero_shot(_unit([[0.9, 0.1], [0.2, 0.8]]), labels)
    assert probs.shape == (2, 2) and np.allclose(probs.sum(axis=1), 1)
    assert probs.argmax(axis=1).tolist() == [0, 1]


def test_power_strategies_sample_in_proportion_to_uncertainty():
    # one very uncertain record among many confident ones is almost always picked first
    probs = np.array([[0.5, 0.5]] + [[0.99, 0.01]] * 50)
    firsts = [int(select("power_margin", probs, 1, seed=s)[0]) for s in range(50)]
    assert firsts.count(0) >= 45
    # seeded: the same seed gives the same batch; another seed may not
    a = select("power_entropy", PROBS, 3, seed=1)
    assert a.tolist() == select("power_entropy", PROBS, 3, seed=1).tolist() and len(set(a.tolist())) == 3


def test_power_strategy_skips_near_duplicates_when_given_embeddings():
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]])
    emb = _unit([[1, 0], [1, 0.001], [0, 1]])
    for seed in range(10):
        assert sorted(select("power_margin", probs, 2, embeddings=emb, seed=seed).tolist()) in ([0, 2], [1, 2])


def test_project_default_strategy_is_registered():
    from services.active_learning import get_strategy
    from workbench.config import DEFAULT_STRATEGY, ProjectSettings

    assert ProjectSettings().strategy == DEFAULT_STRATEGY
    assert get_strategy(DEFAULT_STRATEGY).name == DEFAULT_STRATEGY


def test_zero_shot_is_shown_only_when_it_beats_the_majority_label_on_enough_labels():
    from services.active_learning import ZERO_SHOT_MIN_CHECK, zero_shot_check

    assert ZERO_SHOT_MIN_CHECK == 4
    right = zero_shot_check(["a", "b", "a", "b"], ["a", "b", "a", "b"])
    assert right == {"n": 4, "accuracy": 1.0, "majority": 0.5, "shown": True}
    # as good as always saying the majority label: not shown
    assert not zero_shot_check(["a", "a", "a", "b"], ["a", "a", "a", "a"])["shown"]
    assert not zero_shot_check(["a", "b"], ["a", "b"])["shown"]  # too few labels to tell
    assert zero_shot_check([["x", "y"], ["y"], [], ["x"]], [["y", "x"], ["y"], [], ["x"]])["accuracy"] == 1.0
    assert zero_shot_check([], [])["shown"] is False
