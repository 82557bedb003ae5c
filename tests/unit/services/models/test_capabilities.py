"""Declared capabilities (no signature probing), what a retrain passes each adapter, legacy config keys."""

from __future__ import annotations

import pytest

from services.models import (
    ADAPTERS,
    EmbeddingAware,
    FineTuned,
    ReadsWords,
    SpanPredictor,
    TorchClassifier,
    adapters_for,
    supports,
)
from services.models.logreg import LogRegConfig
from services.models.transformer import TransformerConfig
from services.training import build_adapter
from workbench.config import ProjectSettings


@pytest.mark.parametrize("name,declared", [
    ("logreg", {EmbeddingAware}),
    ("hybrid", {EmbeddingAware, ReadsWords}),
    ("setfit", {FineTuned}),
    ("transformer", {FineTuned, TorchClassifier}),
    ("ner", {FineTuned, SpanPredictor}),
])
def test_adapters_declare_their_capabilities(name, declared):
    cls = ADAPTERS.get(name)
    assert {cap for cap in (EmbeddingAware, FineTuned, ReadsWords, SpanPredictor, TorchClassifier)
            if supports(cls, cap)} == declared


def test_adapters_for_a_task():
    assert adapters_for("ner") == ["ner"]
    assert set(adapters_for("classification")) == {"hybrid", "logreg", "setfit", "transformer"}


def test_build_adapter_passes_encoder_or_base_model(store):
    settings = ProjectSettings(encoder="minilm", base_model="/models/my-bert")
    project = store.create_project("p", "classification", ["a", "b"], settings=settings)
    logreg = build_adapter("logreg", project, store)
    assert logreg.store is store and logreg.config.encoder == "minilm"
    assert build_adapter("transformer", project, store).config.base_model == "/models/my-bert"


def test_configs_saved_before_the_rename_still_load():
    assert LogRegConfig.from_dict({"model": "minilm"}).encoder == "minilm"
    assert TransformerConfig.from_dict({"model": "x/y", "epochs": 2}).base_model == "x/y"
    assert ProjectSettings.from_dict({"model": "ner"}).adapter == "ner"
