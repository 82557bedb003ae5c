"""Changing settings: every value is checked against the project before anything is saved."""

from __future__ import annotations

import pytest

from services.training.settings import change_settings
from workbench.errors import OfflineError, ValidationError


@pytest.mark.parametrize(("changes", "message"), [
    ({"adapter": "logreg"}, "adapter 'logreg' cannot train a ner project; choose one of: ner"),
    ({"strategy": "nope"}, "unknown strategy 'nope'; choose one of: random"),
    ({"retrain_every": -1}, "retrain_every must be an integer >= 0"),
    ({"colour": "red"}, "unknown ProjectSettings option(s) colour; valid: adapter"),
])
def test_a_bad_change_is_refused_with_the_fix_and_nothing_is_saved(store, changes, message):
    ner = store.create_project("n", "ner", ["PER"])
    with pytest.raises(ValidationError) as err:
        change_settings(store, ner, {"retrain_every": 3, **changes})
    assert message in str(err.value)
    assert store.get_project("n").settings == ner.settings  # the valid change in the same call is not saved


def test_a_hub_encoder_without_network_is_refused_when_saved_not_at_training(store, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clf = store.create_project("c", "classification", ["a", "b"])
    with pytest.raises(OfflineError, match="is a hub id but HF_HUB_OFFLINE"):
        change_settings(store, clf, {"encoder": "someone/some-model"})
    assert store.get_project("c").settings.encoder == "minilm"


def test_good_changes_are_saved_together(store):
    clf = store.create_project("c", "classification", ["a", "b"])
    saved = change_settings(store, clf, {"strategy": "random", "adapter": "logreg", "model_encoder": "project"})
    assert (saved.settings.strategy, saved.settings.adapter, saved.settings.model_encoder) == \
        ("random", "logreg", "project")
    assert store.get_project("c").settings == saved.settings
