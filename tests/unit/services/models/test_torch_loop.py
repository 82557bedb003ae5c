"""The fine-tuning loop's step budget: ``min_steps`` adds epochs when the labels are few."""

from __future__ import annotations

import pytest

from services.models import get_adapter
from services.models.ner import NerConfig
from services.models.torch_loop import FineTuneConfig, epochs_for
from workbench.errors import ValidationError


@pytest.mark.parametrize("steps_per_epoch,epochs,min_steps,want", [
    (7, 3, 0, 3),       # no floor: exactly the epochs asked for
    (7, 3, 300, 43),    # 100 sentences in batches of 16: 43 epochs reach 300 steps
    (63, 3, 300, 5),    # 1,000 sentences
    (200, 3, 300, 3),   # enough steps already
    (0, 2, 300, 300),   # an empty loader never divides by zero
])
def test_epochs_grow_to_reach_the_step_floor(steps_per_epoch, epochs, min_steps, want):
    assert epochs_for(steps_per_epoch, FineTuneConfig(epochs=epochs, min_steps=min_steps)) == want


def test_ner_defaults_have_a_step_floor_and_bad_values_are_clear_errors():
    c = NerConfig()
    assert (c.epochs, c.lr, c.min_steps) == (8, 3e-4, 300)
    with pytest.raises(ValidationError, match="min_steps must be an integer >= 0"):
        get_adapter("ner", "ner", ["person"], min_steps=-5)


@pytest.mark.slow
def test_a_real_fit_runs_the_floor_of_steps():
    messages = []
    adapter = get_adapter("ner", "ner", ["person"], epochs=1, batch_size=8, min_steps=4, device="cpu")
    adapter.fit(["Alice went home", "Bob too"], [[{"start": 0, "end": 5, "label": "person"}],
                                                 [{"start": 0, "end": 3, "label": "person"}]],
                progress=lambda fraction, message: messages.append(message))
    assert "4 / 4" in messages[-1]  # one batch per epoch, so 4 epochs
    adapter.close()
