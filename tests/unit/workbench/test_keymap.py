"""Label keys past nine labels, project remappings, and colours that never repeat."""

from __future__ import annotations

import pytest

from workbench.config import ProjectSettings
from workbench.errors import ValidationError
from workbench.keymap import RESERVED_KEYS, label_colours, label_keys


def test_every_label_up_to_28_has_its_own_key_and_none_is_reserved():
    labels = [f"l{i}" for i in range(30)]
    keys = label_keys(labels)
    assert [keys[f"l{i}"] for i in range(11)] == [*"123456789", "q", "w"]
    assert len(keys) == 28 and len(set(keys.values())) == 28 and not set(keys.values()) & set(RESERVED_KEYS)
    assert "l28" not in keys  # past the spare keys: click only


def test_a_remapped_label_frees_its_key_and_moves_nobody_else():
    keys = label_keys(["spam", "ham", "eggs"], {"spam": "p", "gone": "g"})  # unknown labels are ignored
    assert keys == {"spam": "p", "ham": "2", "eggs": "3"}
    assert label_keys(["a", "b"], {"b": "1"}) == {"a": "q", "b": "1"}


@pytest.mark.parametrize("overrides,match", [({"a": "s"}, "skip"), ({"a": "pp"}, "one printable"),
                                             ({"a": "p", "b": "p"}, "both"), ({"a": " "}, "one printable")])
def test_bad_remappings_are_refused_by_the_settings(overrides, match):
    with pytest.raises(ValidationError, match=match):
        ProjectSettings.from_dict({"label_keys": overrides})


def test_colours_are_distinct_for_large_schemas():
    assert len(set(label_colours(40))) == 40
    assert label_colours(2) == ["#0072B2", "#D55E00"]
