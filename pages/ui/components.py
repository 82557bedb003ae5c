"""Small shared widgets. Dataset text is always shown literally (never as HTML/Markdown)."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

MAX_SHOWN_CHARS = 5000


def record_text(text: str) -> None:
    """Show a record's text literally (``st.text``: no Markdown or HTML parsing).

    Very long texts show their first :data:`MAX_SHOWN_CHARS` characters, the rest
    in an expander, so a 1 MB record does not freeze the page.
    """
    with st.container(border=True):
        st.text(text[:MAX_SHOWN_CHARS], width="stretch")
        if len(text) > MAX_SHOWN_CHARS:
            with st.expander(f"Show all {len(text):,} characters"):
                st.text(text, width="stretch")


def snippet(text: str, n: int = 80) -> str:
    """One line of at most ``n`` characters (for tables and lists; shown as plain text)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= n else flat[: n - 1] + "…"


def value_text(value: Any) -> str:
    """A label value as short plain text: ``pos``, ``a, b``, ``person: Alice``."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, list):
        return f"{len(value)} span(s)"
    return json.dumps(value, ensure_ascii=False)


def show_notice(key: str) -> None:
    """Show (and clear) a one-shot ``(level, text)`` message stored under ``key``."""
    notice = st.session_state.pop(key, None)
    if notice:
        level, text = notice
        {"error": st.error, "warning": st.warning, "success": st.success}.get(level, st.info)(text)
