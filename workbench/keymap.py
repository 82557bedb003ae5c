"""Which key labels which label, and which colour shows it: one home for both, used by every page.

Labels 1-9 get the digit keys; labels 10 to 28 get the letters of :data:`SPARE_KEYS` (never a key a page
uses for something else, :data:`RESERVED_KEYS`). A project may remap any label to another free key
(``ProjectSettings.label_keys``). Colours come from one colour-blind-aware palette, the same for
classification buttons and NER spans, and never repeat within a schema.
"""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence

from workbench.errors import ValidationError

#: keys pages bind to actions, with what they do (the ``?`` overlay lists them)
RESERVED_KEYS: dict[str, str] = {
    "Enter": "accept the suggestion / submit", "0": "none apply (multi-label)", "s": "skip", "z": "undo",
    "n": "save & next (NER)", "k": "keep (Audit)", "a": "ambiguous (Audit)", "x": "exclude (Audit)",
    "l": "later (Audit)", "?": "show the keyboard help", "Escape": "close the help / clear the selection",
}
#: keys for labels 10 and up, in order (home row and around, no reserved key)
SPARE_KEYS = "qwertyuiopdfghjcvbm"
#: Okabe-Ito, then Paul Tol's muted scheme: distinguishable with the common colour-vision deficiencies
PALETTE: tuple[str, ...] = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C6D31", "#7B3FA0", "#5A7D2A",
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499",
)


def default_key(index: int) -> str | None:
    """The key of the ``index``-th label (0-based) without remapping; None past the last spare key."""
    if index < 9:
        return str(index + 1)
    spare = index - 9
    return SPARE_KEYS[spare] if spare < len(SPARE_KEYS) else None


def check_overrides(overrides: Mapping[str, str]) -> dict[str, str]:
    """``label -> key`` remappings, validated: one printable character each, not reserved, no key twice."""
    if not isinstance(overrides, Mapping):
        raise ValidationError("label_keys must map label names to keys, e.g. {\"spam\": \"p\"}")
    seen: dict[str, str] = {}
    for label, key in overrides.items():
        if not isinstance(key, str) or len(key) != 1 or not key.isprintable() or key.isspace():
            raise ValidationError(f"the key for label {label!r} must be one printable character, got {key!r}")
        if key in RESERVED_KEYS:
            raise ValidationError(f"key {key!r} for label {label!r} is taken: it means "
                                  f"'{RESERVED_KEYS[key]}'; pick another key")
        if key in seen:
            raise ValidationError(f"key {key!r} is given to both {seen[key]!r} and {label!r}; give each label its own")
        seen[key] = label
    return dict(overrides)


def label_keys(labels: Sequence[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """``label -> key`` for a schema: the project's remappings first, then the defaults on the keys left free.

    A label whose default key another label took by remapping gets the next free spare key; labels
    beyond the keys there are get none (their buttons still work by click).
    """
    overrides = {label: key for label, key in (overrides or {}).items() if label in labels}
    taken = set(overrides.values())
    defaults = {label: default_key(i) for i, label in enumerate(labels) if label not in overrides}
    spare = [k for k in SPARE_KEYS + "123456789" if k not in taken and k not in defaults.values()]
    out: dict[str, str] = {}
    for label in labels:
        if label in overrides:
            out[label] = overrides[label]
        elif defaults[label] is not None and defaults[label] not in taken:
            out[label] = defaults[label]
        elif spare:
            out[label] = spare.pop(0)
    return out


def label_colours(n: int) -> list[str]:
    """``n`` distinct colours: the palette, then evenly spread hues (golden angle) past its end."""
    colours = list(PALETTE[:n])
    for i in range(len(colours), n):
        hue = (i * 0.618033988749895) % 1.0
        r, g, b = colorsys.hls_to_rgb(hue, 0.42 if i % 2 else 0.6, 0.65)
        colours.append(f"#{int(r * 255):02X}{int(g * 255):02X}{int(b * 255):02X}")
    return colours
