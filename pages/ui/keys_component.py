"""Label keys that count every press exactly once, in order (a components-v2 element, inline JS).

``st.button(shortcut=...)`` loses presses when they come faster than reruns (Streamlit merges the
triggers). This element numbers presses in the browser, resends every press the server has not
acknowledged, and the server applies each new one, in order, to the record on screen at that moment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
COMPONENT_NAME = "workbench.label_keys"
ACK_PREFIX = "label_keys.ack."


def new_presses(payload: Any, ack: int) -> list[tuple[int, str]]:
    """(seq, key) of the presses in ``payload`` newer than ``ack``, in order, each once."""
    presses = payload.get("presses") if isinstance(payload, dict) else None
    if not isinstance(presses, list):
        return []
    seen: dict[int, str] = {}
    for p in presses:
        if isinstance(p, dict) and isinstance(p.get("seq"), int) and isinstance(p.get("key"), str) and p["seq"] > ack:
            seen.setdefault(p["seq"], p["key"])
    return sorted(seen.items())


@functools.cache
def _component():
    import streamlit as st

    return st.components.v2.component(COMPONENT_NAME, js=(_HERE / "keys_component.js").read_text(encoding="utf-8"))


def label_keys(keys: list[str], on_press: Callable[[str], None], key: str) -> None:
    """Listen for ``keys`` on the page; call ``on_press(key)`` once per press, in press order."""
    import streamlit as st

    ack_key = ACK_PREFIX + key

    def apply() -> None:
        payload = (st.session_state.get(key) or {}).get("press")
        for seq, pressed in new_presses(payload, st.session_state.get(ack_key, 0)):
            st.session_state[ack_key] = seq
            on_press(pressed)

    _component()(key=key, data={"keys": keys, "ack": st.session_state.get(ack_key, 0)}, width="stretch",
                 height="content", on_press_change=apply)
