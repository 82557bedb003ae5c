"""SetFit's ``freeze_layers``: lower layers of the body stop learning, the rest still does."""

from __future__ import annotations

import pytest

from services.embeddings import resolve_model
from services.models import get_adapter
from services.models.setfit_adapter import freeze_lower_layers
from workbench.errors import ValidationError


@pytest.fixture
def body():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model("minilm"), device="cpu")


def _trainable(module) -> bool:
    return all(p.requires_grad for p in module.parameters())


def test_freezing_stops_the_embeddings_and_the_first_layers_only(body):
    inner = body[0].auto_model
    assert freeze_lower_layers(body, 0) == 0 and _trainable(inner)
    assert freeze_lower_layers(body, 2) > 0
    assert not any(p.requires_grad for p in inner.embeddings.parameters())
    assert [_trainable(layer) for layer in inner.encoder.layer] == [False, False, True, True, True, True]


def test_freezing_every_layer_is_refused(body):
    with pytest.raises(ValidationError, match="would freeze all 6 layers; use at most 5"):
        freeze_lower_layers(body, 6)


@pytest.mark.parametrize("value", [-1, 1.5, True])
def test_bad_freeze_values_are_clear_errors(value):
    with pytest.raises(ValidationError, match="freeze_layers must be an integer >= 0"):
        get_adapter("setfit", "classification", ["a", "b"], freeze_layers=value)
