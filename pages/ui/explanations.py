"""Render explanations (audit reasons, probabilities, word attributions) safely.

Every piece of user text goes through :func:`literal_html` before it is
wrapped in a styled ``<span>``; only our own fixed markup is left as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from pages.ui import state
from pages.ui.components import literal_html, md
from services import audit as audit_service
from services import explain


def highlight_html(text: str, attributions: Sequence[Any], scale: float | None = None) -> str:
    """HTML for ``text`` with each attributed word tinted green (supports) or red (against).

    Parameters
    ----------
    text : the full text; the gaps between attributed words are kept (escaped).
    attributions : items with ``start``, ``end``, ``weight`` (objects or dicts), sorted by start.
    scale : weight mapped to full colour; default the largest absolute weight.
    """
    items = [a if isinstance(a, dict) else a.to_dict() for a in attributions]
    items = sorted(items, key=lambda a: a["start"])
    top = scale or max((abs(a["weight"]) for a in items), default=0.0) or 1.0
    out, pos = [], 0
    for a in items:
        start, end = int(a["start"]), int(a["end"])
        if start < pos:
            continue  # overlapping attributions: keep the first
        out.append(literal_html(text[pos:start]))
        w = max(-1.0, min(1.0, float(a["weight"]) / top))
        colour = f"rgba(34,139,34,{abs(w) * 0.6:.2f})" if w >= 0 else f"rgba(220,20,60,{abs(w) * 0.6:.2f})"
        title = f"{float(a['weight']):+.3f}"
        out.append(f'<span style="background:{colour};border-radius:3px;padding:0 1px" title="{title}">'
                   f"{literal_html(text[start:end])}</span>")
        pos = end
    out.append(literal_html(text[pos:]))
    return '<div style="line-height:1.9;white-space:pre-wrap">' + "".join(out) + "</div>"


def spans_html(text: str, spans: Sequence[dict[str, Any]]) -> str:
    """HTML for ``text`` with entity spans boxed and labelled ``label p=0.93`` (all text escaped)."""
    out, pos = [], 0
    for sp in sorted(spans, key=lambda s: s["start"]):
        start, end = int(sp["start"]), int(sp["end"])
        if start < pos:
            continue
        out.append(literal_html(text[pos:start]))
        prob = sp.get("prob")
        tag = literal_html(str(sp.get("label", ""))) + (f" {float(prob):.2f}" if prob is not None else "")
        out.append('<span style="border:1px solid #888;border-radius:3px;padding:0 2px">'
                   f'{literal_html(text[start:end])} <small style="opacity:.7">{tag}</small></span>')
        pos = end
    out.append(literal_html(text[pos:]))
    return '<div style="line-height:1.9;white-space:pre-wrap">' + "".join(out) + "</div>"


def neighbours_html(neighbours: Sequence[dict[str, Any]], limit: int = 160) -> str:
    """HTML list of nearest labelled neighbours: label, similarity, text (all escaped)."""
    items = "".join(
        f"<li><code>{literal_html(str(n.get('label')))}</code> "
        f"<small>{float(n.get('similarity', 0.0)):.2f}</small> {literal_html(str(n.get('text', ''))[:limit])}</li>"
        for n in neighbours)
    return f"<div><small>Nearest labelled neighbours</small><ul style='margin:0'>{items}</ul></div>"


def probs_line(probs: Any, labels: Sequence[str]) -> str:
    """``fresh 0.94 · rotten 0.06`` from a dict or a list of probabilities (most likely first)."""
    if isinstance(probs, dict):
        pairs = list(probs.items())
    elif isinstance(probs, (list, tuple)) and len(probs) == len(labels) and not isinstance(probs[0], (list, dict)):
        pairs = list(zip(labels, probs))
    else:
        return ""
    pairs.sort(key=lambda p: -float(p[1]))
    return " · ".join(f"{label} {float(p):.2f}" for label, p in pairs)


@st.cache_resource(max_entries=2, show_spinner=False)
def _adapter(version_id: int, name: str, path: str):
    from services.models.base import load_adapter

    return load_adapter(name, path)


@st.cache_data(max_entries=256, show_spinner=False)
def _attributions(version_id: int, name: str, path: str, text: str):
    adapter = _adapter(version_id, name, path)
    attributions, label, prob, method = explain.explain_prediction(adapter, text)
    return [a.to_dict() for a in attributions], label, prob, method


def render_explanation(store, project, record) -> None:
    """Show why the model suggests what it does and why the audit flagged the record (if it did).

    Cheap by default: reads the stored audit entry and suggestion; word
    attributions (which run the model) only when the user asks for them.
    """
    issue = audit_service.record_issue(store, project, record.id)
    if issue is not None:
        details = issue["details"]
        if issue["is_issue"]:
            st.warning("Audit flag: " + md(details.get("reason", "possible label issue")), icon="🔎")
        else:
            st.caption(f"Audit label quality {issue['quality']:.2f} (not flagged)")
        line = probs_line(details.get("probs"), project.labels)
        if line:
            st.caption("Out-of-fold probabilities: " + md(line))
        neighbours = details.get("neighbours") or []
        if neighbours:
            st.markdown(neighbours_html(neighbours), unsafe_allow_html=True)
        spans = details.get("suggested_spans")
        if project.task == "ner" and spans:
            st.markdown(spans_html(record.text, spans), unsafe_allow_html=True)
    suggestion = store.suggestion(project, record.id)
    if suggestion is not None and suggestion.get("probs") is not None and project.task != "ner":
        line = probs_line(suggestion["probs"], project.labels)
        if line:
            st.caption("Model suggestion: " + md(line))
    render_word_attributions(store, project, record)


def render_word_attributions(store, project, record) -> None:
    """On request, highlight the words for and against the active model's prediction (escaped HTML)."""
    if project.task == "ner" or project.active_model_version is None:
        return
    if st.toggle("Explain words", key=state.page_key(state.EXPLAIN_WORDS, record.id)):
        version = store.model_version(project.active_model_version)
        if not version.get("path"):
            st.caption("The active model has no saved weights to explain.")
            return
        try:
            attributions, label, prob, method = _attributions(
                version["id"], version["adapter"], version["path"], record.text)
        except Exception as exc:  # the explanation is optional; never break the page
            st.caption(f"No word attributions: {md(exc)}")
            return
        st.caption(f"Words for and against {literal_html(label)} ({prob:.2f}, {method}):")
        st.markdown(highlight_html(record.text, attributions), unsafe_allow_html=True)
