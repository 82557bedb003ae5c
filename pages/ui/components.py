"""Small shared widgets. Dataset text is always shown literally (never as HTML/Markdown)."""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

#: characters that HTML or Markdown (incl. Streamlit's $math$ and :emoji: shortcodes) would interpret
_LITERAL = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]()#|~$!+-=:{}"}
#: ``![alt](url)`` and ``![alt][ref]``: a browser would fetch the image
_IMAGE = re.compile(r"!(\[[^\]]*\]\s*[\[(])")

MAX_SHOWN_CHARS = 5000


def literal_html(text: Any) -> str:
    """``text`` as inert HTML/Markdown: every character either would interpret becomes a numeric entity.

    Use it for every string from data or users (labels, project names, ids, file cells, error
    messages quoting them) inside Markdown-rendering elements (``st.error``, ``st.caption``, button
    labels...) and in ``st.markdown(..., unsafe_allow_html=True)``. Newlines become ``<br>``: a
    blank line would end our HTML block and let the rest render as Markdown.
    """
    out = "".join(_LITERAL.get(c, c) for c in str(text))
    return out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def md(text: Any) -> str:
    """:func:`literal_html` under the name the call sites read best with: ``st.caption("Label " + md(label))``."""
    return literal_html(text)


def message(level: str, text: Any) -> None:
    """``st.error`` / ``warning`` / ``success`` / ``info`` with ``text`` shown literally."""
    {"error": st.error, "warning": st.warning, "success": st.success}.get(level, st.info)(md(text))


def guidelines_markdown(text: str) -> str:
    """Project guidelines as Markdown without images (each becomes a link, so nothing is fetched);
    raw HTML stays off (``st.markdown`` escapes it by default)."""
    return _IMAGE.sub(r"\1", text or "")


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
        message(*notice)
