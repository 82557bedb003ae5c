"""NER span annotator: a Streamlit custom component (components v2, inline, no iframe).

The browser side (``ner_component.js`` / ``.css`` next to this file, read once)
shows the text with its spans coloured by label, a legend with each label's key (1-9, then letters),
and lets the annotator select tokens with the mouse or the keyboard, label them
with a key, click a span to remove it and accept all suggestions with ``Enter``.

Offsets are character (code point) offsets into the original text, ``end``
exclusive, exactly as :func:`workbench.types.validate_spans` expects. The pure
helpers below (suggestion merging, edit checks) need no Streamlit; tokens come
from :func:`workbench.text.tokenize`, the NER model's own units; only
:func:`ner_annotator` imports it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from workbench.errors import ValidationError
from workbench.keymap import default_key, label_colours
from workbench.text import tokenize
from workbench.types import Span, text_hash, validate_spans

_HERE = Path(__file__).resolve().parent
COMPONENT_NAME = "workbench.ner_annotator"
#: Session-state key prefix for this component's bookkeeping (one set per widget key).
STATE_PREFIX = "ner_annotator."

def _as_span(span: Span | dict[str, Any]) -> Span:
    if isinstance(span, Span):
        return span
    return Span(int(span["start"]), int(span["end"]), str(span["label"]))


def find_overlap(spans: Iterable[Span | dict[str, Any]], start: int, end: int) -> Span | None:
    """Return the first span that shares a character with ``[start, end)``, else None."""
    for span in map(_as_span, spans):
        if span.start < end and start < span.end:
            return span
    return None


def merge_spans(
    spans: Sequence[Span | dict[str, Any]], suggested: Sequence[Span | dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Accept suggestions into ``spans`` without ever creating an overlap.

    Suggestions are taken in text order; one that overlaps a kept span (an
    existing one or an earlier suggestion) is refused. An exact duplicate of an
    existing span is neither added nor counted as refused.

    Returns
    -------
    (merged, refused) : (list of dict, list of dict)
        ``merged`` is sorted by start; ``refused`` lists the suggestions left out.
    """
    kept = [_as_span(s) for s in spans]
    existing = set(kept)
    refused: list[Span] = []
    for sug in sorted(map(_as_span, suggested), key=lambda s: (s.start, s.end)):
        if sug in existing:
            continue
        if find_overlap(kept, sug.start, sug.end) is not None:
            refused.append(sug)
            continue
        kept.append(sug)
    kept.sort(key=lambda s: (s.start, s.end))
    return [s.to_dict() for s in kept], [s.to_dict() for s in refused]


def usable_suggestions(
    suggested: Sequence[dict[str, Any]] | None, labels: Sequence[str], text: str,
) -> list[dict[str, Any]]:
    """Keep the suggestions that are valid spans for this text and schema, without overlaps.

    Model output may predate a schema edit or disagree with itself; the
    annotator should still see the valid part rather than an error.
    """
    if not suggested:
        return []
    valid = []
    allowed = set(labels)
    for s in suggested:
        try:
            span = _as_span(s)
        except (KeyError, TypeError, ValueError):
            continue
        if span.label in allowed and 0 <= span.start < span.end <= len(text):
            valid.append(span)
    merged, _ = merge_spans([], valid)
    return merged


def component_data(
    text: str, spans: Sequence[dict[str, Any]], labels: Sequence[str],
    suggested: Sequence[dict[str, Any]] | None = None, *, error: str | None = None, revision: int = 0,
    seq: int | None = None, keys: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Build the JSON payload the browser side renders (validated spans, tokens, colours, keys per label)."""
    labels = list(labels)
    keys = list(keys) if keys is not None else [default_key(i) for i in range(len(labels))]
    return {
        "text": text,
        "tokens": [[start, end] for _, start, end in tokenize(text)],
        "spans": [s.to_dict() for s in validate_spans(spans, labels, text)],
        "suggested": usable_suggestions(suggested, labels, text),
        "labels": labels,
        "colors": label_colours(len(labels)),
        "keys": keys,
        "error": error,
        "revision": revision,
        # the browser's latest edit this run has applied; an older one means newer edits are in flight
        "seq": seq,
        "autofocus": True,
    }


def check_edit(payload: Any, labels: Sequence[str], text: str) -> list[dict[str, Any]]:
    """Validate what the browser sent (``{"spans": [...], "text_length": n}``); return the spans.

    Raises
    ------
    ValidationError
        If the payload is malformed, was made for another text, or its spans are invalid.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("spans"), list):
        raise ValidationError(f"the annotator sent {payload!r}; expected an object with a list of spans")
    if payload.get("text_length") not in (None, len(text)):
        raise ValidationError("the annotator sent spans for a different text; the page was reloaded, try again")
    return [s.to_dict() for s in validate_spans(payload["spans"], labels, text)]


@functools.cache
def _assets() -> tuple[str, str]:
    return ((_HERE / "ner_component.css").read_text(encoding="utf-8"),
            (_HERE / "ner_component.js").read_text(encoding="utf-8"))


@functools.cache
def _component():
    # Registered on first use so importing this module never imports streamlit.
    import streamlit as st

    css, js = _assets()
    return st.components.v2.component(COMPONENT_NAME, css=css, js=js, isolate_styles=True)


def _keys(key: str) -> tuple[str, str, str]:
    return f"{STATE_PREFIX}{key}.pending", f"{STATE_PREFIX}{key}.error", f"{STATE_PREFIX}{key}.revision"


def _seq_key(key: str) -> str:
    return f"{STATE_PREFIX}{key}.seq"


def record_edit(state: MutableMapping[str, Any], key: str, payload: Any, labels: Sequence[str], text: str) -> None:
    """Keep what the browser sent for the next run: validated spans, or the reason they were refused.

    ``state`` is ``st.session_state`` (any mutable mapping in tests). Every edit
    bumps the revision, so the browser redraws from Python's spans even when they
    equal the previous ones (e.g. after an edit refused here).
    """
    pending_key, error_key, revision_key = _keys(key)
    state[revision_key] = state.get(revision_key, 0) + 1
    if isinstance(payload, dict) and isinstance(payload.get("seq"), int):
        state[_seq_key(key)] = payload["seq"]  # echoed back: the browser knows which edit this run reflects
    try:
        state[pending_key] = {"text_hash": text_hash(text), "spans": check_edit(payload, labels, text)}
    except ValidationError as exc:
        state.pop(pending_key, None)
        state[error_key] = str(exc)


def take_edit(state: MutableMapping[str, Any], key: str, text: str) -> tuple[list[dict] | None, str | None]:
    """Pop the edit kept by :func:`record_edit`: ``(spans or None, error or None)``.

    Spans made for another text (the page moved on before drawing the
    component again) are dropped rather than applied to the wrong record.
    """
    pending_key, error_key, _ = _keys(key)
    pending = state.pop(pending_key, None)
    error = state.pop(error_key, None)
    if pending is not None and pending["text_hash"] != text_hash(text):
        return None, "the edit was made on another text and was not saved"
    return (pending["spans"] if pending is not None else None), error


def _on_edit(key: str, labels: list[str], text: str) -> None:
    """Widget callback: runs before the rerun, so that run can already draw the new spans."""
    import streamlit as st

    payload = (st.session_state.get(key) or {}).get("edit")
    record_edit(st.session_state, key, payload, labels, text)


def ner_annotator(
    text: str, spans: list[dict], labels: list[str], suggested_spans: list[dict] | None = None,
    key: str = "ner_annotator", keys: Sequence[str | None] | None = None,
) -> list[dict] | None:
    """Show the span annotator for one text; return the new spans when the annotator changed them.

    Parameters
    ----------
    text : str
        The record text (shown literally: HTML or script in it is never interpreted).
    spans : list of dict
        Current spans ``{"start", "end", "label"}``, character offsets, ``end`` exclusive.
    labels : list of str
        The label schema.
    suggested_spans : list of dict, optional
        Model suggestions, drawn dashed; ``Enter`` accepts all that do not overlap.
        Invalid ones (unknown label, out of bounds, overlapping) are not shown.
    key : str
        Widget key; keep it the same across records so focus and layout stay put.
    keys : list of str or None, optional
        The key of each label (None: no key); default :func:`workbench.keymap.default_key`.

    Returns
    -------
    list of dict or None
        The complete new list of validated spans (sorted) in the run right after
        the annotator added, removed or accepted spans; None in every other run.
        The caller stores it; the component already shows it.

    Raises
    ------
    ValidationError
        If ``spans`` (the stored ones) do not fit ``text`` and ``labels``.
    """
    import streamlit as st

    labels = list(labels)
    pending, error = take_edit(st.session_state, key, text)
    shown = pending if pending is not None else spans
    data = component_data(text, shown, labels, suggested_spans, error=error, keys=keys,
                          revision=st.session_state.get(_keys(key)[2], 0), seq=st.session_state.get(_seq_key(key)))
    _component()(
        key=key, data=data, width="stretch", height="content",
        on_edit_change=functools.partial(_on_edit, key, labels, text),
    )
    return pending
