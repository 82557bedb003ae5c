"""Whose vectors a round's model reads: the project encoder's, or mpnet's once they are cached."""

from __future__ import annotations

import pytest

from services.embeddings import model_key
from services.training import features, train_round
from tests.conftest import add_texts
from tests.integration.test_training_jobs import NEG, POS
from workbench.config import ProjectSettings
from workbench.errors import ValidationError
from workbench.types import text_hash


def _looks_fetched(monkeypatch, tmp_path) -> None:
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "encoders")
    (tmp_path / "encoders" / "all-mpnet-base-v2").mkdir(parents=True)
    (tmp_path / "encoders" / "all-mpnet-base-v2" / "model.safetensors").write_bytes(b"")
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "mpnet")


def test_only_an_upgrading_adapter_of_an_auto_project_on_minilm_wants_the_stronger_encoder(store, monkeypatch,
                                                                                          tmp_path):
    clf = store.create_project("c", "classification", ["a", "b"])
    assert features.wanted_encoder(clf, "hybrid") is None  # the tests keep MiniLM alone (conftest)
    _looks_fetched(monkeypatch, tmp_path)
    assert features.wanted_encoder(clf, "hybrid") == "mpnet"
    assert features.wanted_encoder(clf, "logreg") is None  # the yardstick reads the project encoder, always
    assert features.wanted_encoder(clf, "setfit") is None
    pinned = store.create_project("p", "classification", ["a", "b"], settings=ProjectSettings(model_encoder="project"))
    assert features.wanted_encoder(pinned, "hybrid") is None
    int8 = store.create_project("i", "classification", ["a", "b"], settings=ProjectSettings(encoder="minilm-int8"))
    assert features.wanted_encoder(int8, "hybrid") is None  # chosen for speed: mpnet would undo it
    ner = store.create_project("n", "ner", ["person"])
    assert features.wanted_encoder(ner, "ner") is None
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "none")
    assert features.wanted_encoder(clf, "hybrid") is None
    with pytest.raises(ValidationError, match="unknown model_encoder 'mpnet'; valid: auto, project"):
        ProjectSettings(model_encoder="mpnet")


def test_the_budget_takes_whole_texts_in_order_and_at_least_one():
    assert features._within(["aaaa", "bb", "cccc", "d"], 6) == ["aaaa", "bb"]
    assert features._within(["a" * 50, "b"], 6) == ["a" * 50]
    assert features._within([], 6) == []


@pytest.mark.slow
def test_a_cpu_round_encodes_ahead_after_its_suggestions_and_switches_once_every_text_has_a_vector(
        store, monkeypatch, stronger_on):
    texts = [t for pair in zip(POS, NEG) for t in pair]
    project = store.create_project("films", "classification", ["pos", "neg"], settings=ProjectSettings(retrain_every=0))
    ids = add_texts(store, project, texts, ["pos", "neg"] * len(POS))
    for rid, label in zip(ids[:6], ["pos", "neg"] * 3):
        store.annotate(project, rid, "ann", "label", label)
    total = sum(len(t) for t in texts)
    monkeypatch.setattr(features, "AHEAD_CHARS", int(total * 0.6))  # two rounds to encode every text
    monkeypatch.setattr("services.device.resolve_device", lambda device="auto": "cpu")
    key = model_key("mpnet")
    reads = []
    for _ in range(3):
        result = train_round(store, store.get_project(project.id))
        reads.append(result["model_encoder"])
        version = store.model_version(result["model_version_id"])
        assert version["config"]["model_encoder"] == reads[-1] == version["config"]["adapter_config"]["encoder"]
        if len(reads) == 1:  # after its suggestions: about 60% of the texts, the labelled ones first
            cached = store.count_vectors(key, [text_hash(t) for t in texts])
            assert 0 < cached < len(texts) and store.count_vectors(key, [text_hash(t) for t in texts[:6]]) == 6
            assert result["first_suggestions_seconds"] < result["seconds"]
    assert reads == ["minilm", "minilm", "mpnet"]  # the second round encodes the rest after its suggestions
    assert store.count_vectors(key, [text_hash(t) for t in texts]) == len(texts)


@pytest.mark.slow
def test_a_gpu_round_encodes_everything_first_and_reads_the_stronger_encoder_at_once(store, monkeypatch, stronger_on):
    texts = [t for pair in zip(POS, NEG) for t in pair]
    project = store.create_project("films", "classification", ["pos", "neg"], settings=ProjectSettings(retrain_every=0))
    ids = add_texts(store, project, texts, ["pos", "neg"] * len(POS))
    for rid, label in zip(ids[:6], ["pos", "neg"] * 3):
        store.annotate(project, rid, "ann", "label", label)
    monkeypatch.setattr(features, "AHEAD_CHARS", 1)  # a CPU round would encode one text
    monkeypatch.setattr(features, "encodes_before_fit", lambda device="auto": True)  # as on a GPU
    assert train_round(store, store.get_project(project.id))["model_encoder"] == "mpnet"
    assert store.count_vectors(model_key("mpnet"), [text_hash(t) for t in texts]) == len(texts)
