"""Label audit on tiny synthetic data with known flips."""

from __future__ import annotations

import numpy as np
import pytest

from services import audit
from services.audit.oof import _logreg_fit_predict
from services.models.base import ADAPTERS
from workbench.errors import ValidationError


def _clusters(n_per=40, k=2, d=16, seed=0, spread=0.35):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 2
    X = np.concatenate([centres[c] + rng.normal(scale=spread * 2, size=(n_per, d)) for c in range(k)])
    y = np.repeat(np.arange(k), n_per)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), y


def _flip(y, n, k, seed=1):
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(y), size=n, replace=False)
    noisy = y.copy()
    noisy[flipped] = (noisy[flipped] + rng.integers(1, k, size=n)) % k
    return noisy, set(flipped.tolist())


@pytest.mark.parametrize("model", ["logreg", "knn", "ensemble"])
def test_flipped_labels_rank_first(model):
    X, y = _clusters(k=3)
    noisy, flipped = _flip(y, 6, 3)
    probs = audit.oof_embedding_probabilities(X, noisy, 3, model=model, folds=5)
    assert probs.shape == (120, 3) and np.allclose(probs.sum(axis=1), 1)
    res = audit.classification_issues(noisy, probs, ["a", "b", "c"])
    worst = set(np.argsort(res.quality)[:6].tolist())
    assert worst == flipped
    assert set(np.flatnonzero(res.is_issue).tolist()) >= flipped
    assert (res.suggested[list(flipped)] == y[list(flipped)]).all()
    assert set(res.noise_rate) == {"a", "b", "c"}


def test_the_refit_pass_trains_without_the_flagged_labels_and_still_scores_every_record():
    X, y = _clusters(k=3, spread=0.6)
    noisy, flipped = _flip(y, 18, 3)
    assignment = audit.fold_assignment(noisy, 5, seed=0)
    keep = np.ones(len(y), dtype=bool)
    keep[list(flipped)] = False
    trained_on = []

    def fit_predict(train, test):
        trained_on.extend(train.tolist())
        return _logreg_fit_predict(X, noisy, 3)(train, test)

    probs = audit.oof_probabilities(fit_predict, len(y), 3, assignment, keep=keep)
    assert not set(trained_on) & flipped and np.isfinite(probs).all()  # excluded from training, not from scoring
    single = audit.oof_embedding_probabilities(X, noisy, 3, model="logreg")
    twice = audit.oof_embedding_probabilities(X, noisy, 3, model="logreg", refit=True)
    assert twice.shape == single.shape and np.allclose(twice.sum(axis=1), 1) and not np.allclose(twice, single)
    assert audit.AuditConfig().refit is True
    with pytest.raises(ValidationError, match="refit must be true or false"):
        audit.AuditConfig(refit="yes")


def test_two_views_are_mixed_by_what_predicts_the_given_labels_best():
    from services.audit.oof import mixing_weights

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=200)
    good = np.full((200, 3), 0.1)
    good[np.arange(200), y] = 0.8
    flat = np.full((200, 3), 1 / 3)
    assert mixing_weights([good, flat], y).tolist() == [1.0, 0.0]
    assert mixing_weights([flat, good], y).tolist() == [0.0, 1.0]
    assert mixing_weights([good, good], y).tolist() == [0.5, 0.5]  # a tie keeps the even mix
    assert mixing_weights([good, flat, good], y).tolist() == [0.5, 0.0, 0.5]  # more views: the same search
    assert mixing_weights([good, flat, good, flat], y, step=0.1).tolist() == [0.5, 0.0, 0.5, 0.0]
    assert mixing_weights([flat], y).tolist() == [1.0]
    X, labels = _clusters(k=3)
    texts = [f"word{c} text" for c in labels]  # the words give the class away
    weighted = audit.oof_embedding_probabilities(X, labels, 3, model="hybrid", texts=texts, weighted=True)
    assert weighted.shape == (120, 3) and np.allclose(weighted.sum(axis=1), 1)


def test_the_weight_grid_holds_every_mix_of_the_step_and_nothing_else():
    from services.models.common import MIX_STEP, weight_grid

    assert weight_grid(2, MIX_STEP)[:, 0].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    grid = weight_grid(4, 0.1)
    assert grid.shape == (286, 4) and np.allclose(grid.sum(axis=1), 1) and (grid >= 0).all()
    assert len({tuple(row) for row in grid.round(6)}) == 286


def test_the_mix_is_the_same_scored_in_chunks(monkeypatch):
    import services.models.common as common

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=1000)
    views = [rng.dirichlet(np.ones(3), size=1000) for _ in range(3)]
    views[1][np.arange(1000), y] += 1.0  # the middle view predicts the labels
    views[1] /= views[1].sum(axis=1, keepdims=True)
    whole = common.mixing_weights(views, y, 0.1)
    monkeypatch.setattr(common, "MIX_CHUNK", 7)
    assert common.mixing_weights(views, y, 0.1).tolist() == whole.tolist() and whole[1] == whole.max()


def test_hybrid_mixes_a_regression_per_encoder_words_and_a_knn_on_the_last_encoder():
    from services.audit.oof import _fitters

    X, y = _clusters(k=3, n_per=80)
    noise = np.random.default_rng(1).normal(size=X.shape).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    texts = [f"word{c} text" for c in y]
    assert len(_fitters("hybrid", [noise, X], y, 3, texts)) == 4  # logreg x 2, tfidf, knn
    assert len(_fitters("hybrid", [X], y, 3, texts)) == 3
    assert len(_fitters("ensemble", [noise, X], y, 3, None)) == 3
    noisy, flipped = _flip(y, 12, 3)
    # the first encoder's vectors are noise; the mix leans on the views that predict the labels
    probs = audit.oof_embedding_probabilities([noise, X], noisy, 3, model="ensemble", weighted=True, refit=True)
    worst = set(np.argsort(audit.classification_issues(noisy, probs, ["a", "b", "c"]).quality)[:12].tolist())
    assert worst == flipped
    with pytest.raises(ValidationError, match="rows but there are"):
        audit.oof_embedding_probabilities([X, X[:-1]], y, 3, model="logreg")
    as_lists = audit.oof_embedding_probabilities(X.tolist(), y, 3, model="logreg")  # one matrix as nested lists
    assert np.allclose(as_lists, audit.oof_embedding_probabilities(X, y, 3, model="logreg"))


def test_out_of_fold_guarantee_on_embeddings():
    X, y = _clusters()
    assignment = audit.fold_assignment(y, 5, seed=3)
    seen = []

    def fit_predict(train, test):
        assert not set(train) & set(test), "a fold trained on a record it scores"
        seen.append(test)
        inner = _logreg_fit_predict(X, y, 2)
        return inner(train, test)

    probs = audit.oof_probabilities(fit_predict, len(y), 2, assignment)
    scored = np.concatenate(seen)
    assert sorted(scored.tolist()) == list(range(len(y)))  # each record scored exactly once
    assert np.isfinite(probs).all()
    # stratified: each fold holds both classes
    for f in range(5):
        assert set(y[assignment == f]) == {0, 1}


class RecordingAdapter:
    """A real (if trivial) adapter: nearest-class-by-keyword, remembering what it trained on."""

    name = "recording-test"
    log: list[tuple[set[str], list[str]]] = []

    def __init__(self, task, labels, **config):
        self.task, self.labels = task, list(labels)

    def fit(self, texts, targets):
        self.trained = set(texts)
        self.vocab = {lbl: {w for t, g in zip(texts, targets) if g == lbl for w in t.split()} for lbl in self.labels}
        return self

    def predict_proba(self, texts):
        RecordingAdapter.log.append((self.trained, list(texts)))
        out = []
        for t in texts:
            votes = np.array([len(set(t.split()) & self.vocab[lbl]) + 0.1 for lbl in self.labels], dtype=float)
            out.append(votes / votes.sum())
        return np.array(out)

    def save(self, path):
        raise NotImplementedError

    @classmethod
    def load(cls, path):
        raise NotImplementedError


def test_out_of_fold_guarantee_with_an_adapter():
    RecordingAdapter.log = []
    with ADAPTERS.scoped():
        ADAPTERS.register("recording-test", RecordingAdapter)
        texts = [f"good nice {i}" for i in range(10)] + [f"bad awful {i}" for i in range(10)]
        targets = ["pos"] * 10 + ["neg"] * 10
        probs, _ = audit.oof_adapter_probabilities("recording-test", "classification", ["pos", "neg"], texts,
                                                   targets, np.array([0] * 10 + [1] * 10), folds=4)
    assert "recording-test" not in ADAPTERS
    assert probs.shape == (20, 2)
    assert len(RecordingAdapter.log) == 4
    predicted = [t for _, batch in RecordingAdapter.log for t in batch]
    assert sorted(predicted) == sorted(texts)
    for trained, batch in RecordingAdapter.log:
        assert not trained & set(batch)
    assert (probs[:10, 0] > 0.5).all() and (probs[10:, 1] > 0.5).all()


def test_fold_assignment_validates_and_handles_rare_classes():
    with pytest.raises(ValidationError, match="at least 5"):
        audit.fold_assignment(np.array([0, 1, 0]), 5)
    a = audit.fold_assignment(np.array([0] * 8 + [1, 2]), 5)  # classes rarer than the fold count
    assert sorted(set(a.tolist())) == [0, 1, 2, 3, 4]


def test_audit_config_validates():
    with pytest.raises(ValidationError, match="label source"):
        audit.AuditConfig(source="gold")
    with pytest.raises(ValidationError, match="folds"):
        audit.AuditConfig(folds=1)
    assert audit.AuditConfig().to_dict()["folds"] == 5


def test_probabilities_must_be_out_of_fold_complete():
    with pytest.raises(ValidationError, match="never scored"):
        audit.classification_issues(np.array([0, 1]), np.array([[np.nan, 1.0], [0.5, 0.5]]), ["a", "b"])


def test_multilabel_issues_flag_the_missing_label():
    rng = np.random.default_rng(0)
    truth = (rng.random((60, 3)) < 0.4).astype(int)
    probs = np.clip(truth * 0.9 + 0.05 + rng.normal(scale=0.02, size=truth.shape), 0.01, 0.99)
    given = [list(np.flatnonzero(r)) for r in truth]
    given[7] = [c for c in range(3) if c not in given[7]]  # swap every label of record 7
    quality, is_issue = audit.multilabel_issues(given, probs)
    assert int(np.argmin(quality)) == 7
    assert is_issue[7]


def test_ner_issues_find_the_corrupted_token():
    tags = ["O", "B-per", "I-per"]
    rng = np.random.default_rng(0)
    labels, probs = [], []
    for _ in range(30):
        start = int(rng.integers(0, 5))
        t = [0] * 6
        t[start], t[start + 1] = 1, 2  # one two-token entity per sentence
        labels.append(t)
        p = np.full((6, 3), 0.02)
        p[np.arange(6), t] = 0.96
        probs.append(p)
    labels[4] = list(labels[4])
    labels[4][labels[4].index(1)] = 0  # corrupt one token: its B- tag becomes O
    sentence_q, token_q, flagged = audit.ner_issues(labels, probs)
    assert int(np.argmin(sentence_q)) == 4
    bad = int(np.argmin(token_q[4]))
    assert probs[4][bad].argmax() == 1 and labels[4][bad] == 0
    assert (4, bad) in flagged
    assert len(tags) == probs[0].shape[1]


def test_data_checks_find_duplicates_and_conflicts():
    X, y = _clusters(n_per=20)
    X[5] = X[30]  # exact duplicate with a different label
    checks = audit.data_checks(X, y)
    assert any({5, 30} <= set(g) for g in checks["duplicate_sets"])
    assert len(checks["outlier_score"]) == len(X)


def test_neighbour_table_excludes_self():
    X, _ = _clusters(n_per=10)
    idx, sim = audit.neighbour_table(X, 3)
    assert idx.shape == (20, 3)
    assert not (idx == np.arange(20)[:, None]).any()
    assert (np.diff(sim, axis=1) <= 1e-6).all()


def test_ner_audit_on_a_project_flags_the_corrupted_span(store):
    from tests.conftest import add_texts

    names = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Irene", "Jack"]
    cities = ["Paris", "London", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Lisbon", "Dublin", "Oslo"]
    verbs = ["flew to", "lives in", "visited", "moved to"]
    project = store.create_project("ner-audit", "ner", ["person", "location"])
    texts, refs = [], []
    for i in range(40):
        name, city, verb = names[i % 10], cities[(i * 3) % 10], verbs[i % 4]
        text = f"{name} {verb} {city} {['today', 'yesterday', 'again', 'recently'][i // 10]}"
        start = text.index(city)
        texts.append(text)
        refs.append([{"start": 0, "end": len(name), "label": "person"},
                     {"start": start, "end": start + len(city), "label": "location"}])
    refs[7][1] = dict(refs[7][1], label="person")  # a city tagged as a person
    ids = add_texts(store, project, texts, refs)
    audit_id = audit.run_audit(store, project, audit.AuditConfig(source="reference", folds=4))
    rows = audit.issues(store, audit_id, flagged_only=False, limit=5)
    top = rows[0]
    assert top["record_id"] == ids[7] and top["is_issue"]
    bad = top["details"]["suspicious_tokens"]
    city = texts[7].split()[-2]
    assert bad[0]["token"] == city and bad[0]["given"] == "B-person" and bad[0]["suggested"] == "B-location"
    assert {"start", "end", "label", "prob"} <= set(top["details"]["suggested_spans"][0])
    assert "tagged B-person; model says B-location" in top["details"]["reason"]


def test_multilabel_audit_on_a_project(store):
    from tests.conftest import add_texts

    topics = {"sports": ["football match", "tennis final", "olympic race", "basketball game", "golf open"],
              "politics": ["election vote", "parliament debate", "senate bill", "prime minister", "new law"],
              "music": ["rock concert", "jazz album", "pop singer", "guitar solo", "opera night"]}
    project = store.create_project("topics", "multilabel", list(topics))
    texts, refs = [], []
    for a in topics:
        for b in topics:
            for i in range(5):
                if a == b:
                    texts.append(f"news about the {topics[a][i]} today")
                    refs.append([a])
                elif a < b:
                    texts.append(f"the {topics[a][i]} and the {topics[b][(i + 2) % 5]}")
                    refs.append(sorted([a, b], key=list(topics).index))
    refs[2] = ["music"]  # a sports text labelled music
    ids = add_texts(store, project, texts, refs)
    audit_id = audit.run_audit(store, project, audit.AuditConfig(source="reference", model="logreg", folds=3))
    rows = audit.issues(store, audit_id, flagged_only=False, limit=100)
    assert len(rows) == len(texts)
    assert rows[0]["record_id"] == ids[2]
    assert set(rows[0]["details"]["probs"]) == set(topics)
    assert isinstance(rows[0]["suggested"], list)
    assert set(audit.get_audit(store, audit_id)["summary"]["noise_rate"]) == set(topics)


def test_run_audit_with_a_registry_adapter(store):
    from tests.conftest import add_texts

    project = store.create_project("kw", "classification", ["pos", "neg"])
    texts = [f"good nice {i}" for i in range(10)] + [f"bad awful {i}" for i in range(10)]
    refs = ["pos"] * 10 + ["neg"] * 10
    refs[3] = "neg"
    ids = add_texts(store, project, texts, refs)
    RecordingAdapter.log = []
    with ADAPTERS.scoped():
        ADAPTERS.register("recording-test", RecordingAdapter)
        audit_id = audit.run_audit(store, project, audit.AuditConfig(source="reference", model="recording-test"))
    assert len(RecordingAdapter.log) == 5  # one fresh adapter per fold
    top = audit.issues(store, audit_id, limit=1)[0]
    assert top["record_id"] == ids[3] and top["suggested"] == "pos"
    assert "recording-test" in audit.get_audit(store, audit_id)["method"]


def test_label_issues_never_fork_a_process_pool(monkeypatch):
    # a fork from a process with job, heartbeat and Streamlit threads can hang the child on a lock
    import cleanlab.filter

    def no_pool(*args, **kwargs):
        raise AssertionError("cleanlab forked a process pool")

    monkeypatch.setattr(cleanlab.filter.multiprocessing, "Pool", no_pool)
    X, y = _clusters(k=3)
    noisy, flipped = _flip(y, 6, 3)
    probs = audit.oof_embedding_probabilities(X, noisy, 3, model="logreg", refit=True)
    res = audit.classification_issues(noisy, probs, ["a", "b", "c"])
    assert set(np.flatnonzero(res.is_issue).tolist()) >= flipped
