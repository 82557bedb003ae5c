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
from services import suggestion_explain as why
from services.training import ZERO_SHOT


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
def _explained(version_id: int, name: str, path: str, text: str):
    """The explanation of one text by one saved model version (cached: the model runs once per text)."""
    adapter = _adapter(version_id, name, path)
    if name == "ner" or getattr(adapter, "task", "") == "ner":
        return why.ner_explanation(adapter, text)
    return why.classifier_explanation(adapter, text)


@st.cache_data(max_entries=256, show_spinner=False)
def _zero_shot(db: str, labels: tuple[str, ...], encoder: str, text: str):
    from workbench.store import Store

    with Store(db, migrate=False) as store:
        return why.zero_shot_explanation(store, labels, encoder, text)


def render_explanation(store, project, record, *, show_audit: bool = True) -> None:
    """Show why the model suggests what it does and, when ``show_audit``, why the audit flagged the record.

    Annotators labelling a record never see its audit (``show_audit=False``): the audit of reference
    labels would show them the reference label. Cheap by default: reads the stored audit entry and
    suggestion; the model runs only when the user asks for the word-level explanation.
    """
    issue = audit_service.record_issue(store, project, record.id) if show_audit else None
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
    """On request, explain the active model's suggestion for ``record``, in the way its kind of model allows:
    zero-shot label-name similarity, word attributions, or NER token probabilities and similar labelled spans."""
    if project.active_model_version is None:
        return
    label = "Explain words" if project.task != "ner" else "Explain the entities"
    if not st.toggle(label, key=state.page_key(state.EXPLAIN_WORDS, record.id)):
        return
    version = store.model_version(project.active_model_version)
    try:
        if version["adapter"] == ZERO_SHOT:
            found = _zero_shot(str(store.path), tuple(project.labels), project.settings.encoder, record.text)
        elif not version.get("path"):
            st.caption("This model version kept no weights, so it cannot be run again to explain itself.")
            return
        else:
            found = _explained(version["id"], version["adapter"], version["path"], record.text)
    except Exception as exc:  # the explanation is optional; never break the page
        st.caption(f"No explanation: {md(exc)}")
        return
    if project.task == "ner":
        _render_ner(store, project, record, found)
        return
    if found.similarities:
        st.caption("Similarity of the text to each label name (the cold-start model has no training yet): "
                   + md(" · ".join(f"{k} {v:.2f}" for k, v in sorted(found.similarities.items(),
                                                                        key=lambda kv: -kv[1]))))
    st.caption(f"Words for and against {literal_html(found.label)} ({found.prob:.2f}, {md(found.method)}):")
    st.markdown(highlight_html(record.text, found.attributions), unsafe_allow_html=True)


def _render_ner(store, project, record, found) -> None:
    if not found.spans:
        st.caption("The model finds no entity here: every token's most likely tag is O.")
    else:
        st.caption("Predicted entities with the mean probability of their tokens:")
        st.markdown(spans_html(record.text, found.spans), unsafe_allow_html=True)
    if found.tokens:
        st.caption(f"Tokens the model is unsure of (probability below {why.UNCERTAIN_TOKEN:.0%}):")
        st.dataframe([{"token": t["token"], "tag": t["tag"], "probability": round(t["prob"], 3)}
                      for t in found.tokens[:30]], hide_index=True)
    near = why.nearest_labelled_spans(store, project, record.text, found.spans, exclude_record=record.id)
    if near:
        st.caption("Nearest spans people labelled:")
        st.dataframe([{"predicted": n["span"], "labelled span": n["text"], "label": n["label"],
                       "similarity": round(n["similarity"], 2)} for n in near], hide_index=True)
