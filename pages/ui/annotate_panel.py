"""The annotation panel: one record, label keys, suggestion, undo, history.

It is an ``st.fragment``: a label action reruns only this panel, not the page.
Actions run as button callbacks (before the rerun), so the rerun already shows
the next record. The queue itself lives in :mod:`workbench.queue`.

Keys: ``1``-``9`` label, ``Enter`` accept the suggestion (multi-label: submit),
``s`` skip, ``z`` undo; NER: the span component's own keys, ``n`` save and next.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

import streamlit as st

from pages.ui import auth, components, loaders, state
from pages.ui.explanations import render_explanation
from pages.ui.help import HELP_KEY, annotate_shortcuts, help_overlay, request_help
from pages.ui.history import record_history
from pages.ui.keys_component import label_keys
from pages.ui.ner_component import ner_annotator
from pages.ui.state import annotate_key
from services.training import failed_retrain, start_first_order
from workbench import keymap, progress
from workbench.errors import WorkbenchError
from workbench.queue import QueueItem, next_item, open_record, reserved_by_others
from workbench.store import Record
from workbench.store.queue import LEASE_SECONDS


def project_keys(project) -> dict[str, str]:
    """``label -> key`` of the project (defaults, then its remappings)."""
    return keymap.label_keys(project.labels, project.settings.label_keys)


# -- current item (kept in session state as plain data; the record is re-read) -----
def _save_item(project, annotator: str, item: QueueItem | None) -> None:
    if item is None:
        st.session_state.pop(state.ANNOTATE_CURRENT, None)
        return
    st.session_state[state.ANNOTATE_CURRENT] = {
        "project_id": project.id, "annotator": annotator, "record_id": item.record.id, "kind": item.kind,
        "source": item.source, "audit_issue": item.audit_issue,
    }


def _load_item(store, project, annotator: str) -> QueueItem | None:
    saved = st.session_state.get(state.ANNOTATE_CURRENT)
    if not saved or saved["project_id"] != project.id or saved["annotator"] != annotator:
        return None
    try:
        record = store.get_record(saved["record_id"])
    except WorkbenchError:
        return None
    return QueueItem(record, saved["kind"], saved["source"], saved["audit_issue"])


def current_item(store, project, annotator: str) -> QueueItem | None:
    """The item on screen: an explicit open request, the saved one, else the queue's next."""
    opened = st.session_state.pop(state.ANNOTATE_OPEN, None)
    if opened is not None:
        try:
            item = open_record(store, project, opened, annotator)
        except WorkbenchError as exc:
            st.session_state[state.ANNOTATE_MESSAGE] = ("error", str(exc))
        else:
            _save_item(project, annotator, item)
            return item
    item = _load_item(store, project, annotator)
    if item is None:
        start_first_order(store, project)  # a diverse queue head instead of import order (once per project)
        item = next_item(store, project, annotator, rechecks=auth.allowed("audit"))
        _save_item(project, annotator, item)
    return item


# -- actions (button callbacks) ---------------------------------------------------------
def _act(kind: str, value: Any = None, advance: bool = True) -> None:
    annotator = loaders.annotator_name()
    try:
        with loaders.ui_store() as store:
            project = loaders.current_project(store)
            item = _load_item(store, project, annotator) if project else None
        if item is None:
            return
        decision = loaders.workbench().decide(project.name, annotator, item, kind, value)
        if decision.stale:
            st.session_state[state.ANNOTATE_MESSAGE] = ("warning", decision.notice)
        if advance:
            _save_item(project, annotator, None)
    except WorkbenchError as exc:
        st.session_state[state.ANNOTATE_MESSAGE] = ("error", str(exc))


def _undo() -> None:
    annotator = loaders.annotator_name()
    try:
        with loaders.ui_store() as store:
            project = loaders.current_project(store)
            if project is None:
                return
            target = store.undo_last(project, annotator)
            if target is None:
                st.session_state[state.ANNOTATE_MESSAGE] = ("warning", "Nothing to undo.")
                return
            record_id = store.annotation_record(target)
            record = store.get_record(record_id)
            # Back to the undone record; a new lease keeps others off it while it is on screen.
            kind = "new" if record.status == "unlabelled" else "revisit"
            if kind == "new":
                store.lease(project, record.id, annotator)
            _save_item(project, annotator, QueueItem(record, kind, "undo"))
            st.session_state[state.ANNOTATE_MESSAGE] = ("info", "Undone: the decision was retracted.")
    except WorkbenchError as exc:
        st.session_state[state.ANNOTATE_MESSAGE] = ("error", str(exc))


def _toggle(record_id: int, label: str) -> None:
    chosen = st.session_state.setdefault(state.ANNOTATE_MULTI, {}).setdefault(record_id, [])
    if label in chosen:
        chosen.remove(label)
    else:
        chosen.append(label)


def _submit_multi(record_id: int) -> None:
    chosen = st.session_state.get(state.ANNOTATE_MULTI, {}).get(record_id, [])
    if not chosen:  # Enter on nothing is more often a slip than an answer: ask for the explicit key
        st.session_state[state.ANNOTATE_MESSAGE] = (
            "warning", "Nothing is selected. Press 0 (None apply) if no label fits, or pick labels first.")
        return
    st.session_state[state.ANNOTATE_MULTI].pop(record_id, None)
    _act("label", chosen)


def _none_apply(record_id: int) -> None:
    st.session_state.get(state.ANNOTATE_MULTI, {}).pop(record_id, None)
    _act("label", [])


def _open(record_id: int) -> None:
    st.session_state[state.ANNOTATE_OPEN] = record_id


def _next_ner(record_id: int, spans: list) -> None:
    if st.session_state.get(state.ANNOTATE_NER_SAVED) == record_id:
        _skip_to_next()
    else:
        _act("label", spans)  # nothing saved on this visit: the shown spans (maybe none) are the answer
    st.session_state.pop(state.ANNOTATE_NER_SAVED, None)


def _skip_to_next() -> None:
    st.session_state.pop(state.ANNOTATE_CURRENT, None)


# -- rendering -------------------------------------------------------------------------------
@st.fragment
def annotation_panel() -> None:
    """Draw the panel for the sidebar's project and annotator (reruns on its own)."""
    annotator = loaders.annotator_name()
    with loaders.ui_store() as store:
        project = loaders.current_project(store)
        if project is None:
            st.info("Select or create a project first (Projects page).")
            return
        if not annotator:
            st.warning("Enter your name in the sidebar to start annotating.")
            return
        try:
            item = current_item(store, project, annotator)
        except WorkbenchError as exc:
            components.message("error", exc)
            return
        _progress(store, project, annotator)
        help_overlay("annotate", "Annotate", annotate_shortcuts(project))
        components.show_notice(state.ANNOTATE_MESSAGE)
        if item is None:
            held = reserved_by_others(store, project, annotator)
            st.success("Nothing left in your queue. Thank you!" + (
                f" ({held} record(s) are on other annotators' screens; they come back if left undone "
                f"for {LEASE_SECONDS // 60} minutes.)" if held else ""))
            st.button("Undo last", key=annotate_key("undo"), shortcut="z", on_click=_undo)
        else:
            _record(store, project, annotator, item)
        _history(store, project, annotator)


def _progress(store, project, annotator: str) -> None:
    done, total = progress.labelled_count(store, project)
    rate = progress.records_per_hour(store, project, annotator)
    st.progress(done / total if total else 0.0,
                text=f"{done:,} / {total:,} records done" + (
                    f" ({project.settings.annotators_per_record} labels each)"
                    if project.settings.annotators_per_record > 1 else "")
                + f" · you: {rate:.0f} records labelled in the last hour")
    failed = failed_retrain(store, project)
    if failed is not None and project.settings.retrain_every > 0:
        components.message("warning", f"The last automatic retrain failed: {failed['error']}. The suggestions "
                                      "come from the previous model; it is tried again with your next label.")


def _as_seen_by(store, project, annotator: str, record: Record) -> Record:
    """The record with the label this person should see: with overlap, or for annotators, only their own
    (people label independently; nobody sees a colleague's label before giving theirs)."""
    if project.settings.annotators_per_record == 1 and auth.allowed("team"):
        return record
    return dataclasses.replace(record, label=store.own_labels(project, annotator, [record.id]).get(record.id))


def _record(store, project, annotator: str, item: QueueItem) -> None:
    # the key listener first: it is mounted before the text appears, so a key pressed as soon as the
    # record shows is never lost (it draws nothing)
    label_keys(_KEYS[project.task](project), functools.partial(_press, project.id), key=annotate_key("keys"))
    record = _as_seen_by(store, project, annotator, item.record)
    suggestion = store.suggestion(project, record.id)
    where = {"new": "New", "recheck": "Re-check (flagged by the audit)", "revisit": "Revisit"}[item.kind]
    st.caption(f"{where} · record {components.md(record.external_id or record.id)}"
               + (f" · your label: {components.md(components.value_text(record.label))}"
                  if record.label is not None and record is not item.record else "")
               + (f" · status {record.status} · current label: {components.md(components.value_text(record.label))}"
                  if record.label is not None and record is item.record else ""))
    if item.kind == "recheck" and item.audit_issue:
        issue = item.audit_issue
        quality = "" if issue.get("quality") is None else f" (label quality {issue['quality']:.2f})"
        st.warning(f"The audit doubts this label{quality}: given {components.md(components.value_text(issue.get('given')))}, "
                   f"suggested {components.md(components.value_text(issue.get('suggested')))}. Pick the right one.")
    if project.task == "ner":
        _ner(project, annotator, record, suggestion)
    else:
        components.record_text(record.text)
        if suggestion is not None:
            score = "" if suggestion.get("score") is None else f" ({suggestion['score']:.2f})"
            st.caption(f"Model suggests: **{components.md(components.value_text(suggestion['value']))}**{score}")
        # the label bar sticks to the bottom of the window: a long text never pushes the buttons off screen
        with st.container(key=LABEL_BAR):
            st.markdown(label_bar_css(len(project.labels)), unsafe_allow_html=True)
            if project.task == "classification":
                _classification_keys(project, record, suggestion, item.kind != "new")
            else:
                _multilabel_keys(project, record, suggestion)
    c1, c2, c3 = st.columns([1, 1, 4])
    ner = project.task == "ner"  # the span annotator has its own keys; s and z stay button shortcuts there
    c1.button("Skip (s)", key=annotate_key("skip"), shortcut="s" if ner else None, on_click=_act, args=("skip",))
    c2.button("Undo (z)", key=annotate_key("undo"), shortcut="z" if ner else None, on_click=_undo)
    # the audit (of reference labels, or of a colleague's label) stays hidden while labelling, except on
    # re-checks, whose point it is, or where the project allows it for review
    _explanation(store, project, record, project.settings.show_reference or item.kind == "recheck")
    # drawn only when asked for: every label reruns this panel, and a fast labeller should not pay for it
    if st.toggle("History and comments (flag as unsure)", key=annotate_key("history")):
        with st.container(border=True):
            record_history(store, project, record.id, team=auth.allowed("team"), viewer=annotator, where="annotate")


# -- keys: every press counts once, in order (keys_component) -----------------------------
_KEYS = {
    "classification": lambda p: [*project_keys(p).values(), "Enter", "s", "z", HELP_KEY],
    "multilabel": lambda p: [*project_keys(p).values(), "Enter", "0", "s", "z", HELP_KEY],
    "ner": lambda p: [HELP_KEY],  # the span annotator has its own keys
}


def _press(project_id: int, key: str) -> None:
    """One key press, applied to the record on screen now (the previous press may have advanced it)."""
    if key == HELP_KEY:
        return request_help("annotate")
    if key == "z":
        return _undo()
    annotator = loaders.annotator_name()
    with loaders.ui_store() as store:
        project = store.get_project(project_id)
        # presses applied in one batch: the previous one moved on, so this one takes the next record
        item = current_item(store, project, annotator) if annotator else None
        suggestion = store.suggestion(project, item.record.id) if item is not None else None
    if item is None:
        return None
    record_id = item.record.id
    if key == "s":
        return _act("skip")
    label = {k: name for name, k in project_keys(project).items()}.get(key)
    if label is not None:
        return _toggle(record_id, label) if project.task == "multilabel" else _act("label", label)
    if key == "0":
        return _none_apply(record_id)
    if project.task == "multilabel":
        return _submit_multi(record_id)
    if suggestion is not None:
        return _act("label", suggestion["value"])
    return None


LABEL_BAR = annotate_key("label_bar")


def label_bar_css(n_labels: int) -> str:
    """Our own CSS (no data in it): a sticky bar, and each label button edged in its label's colour (the
    colours of NER spans and charts). Streamlit gives a keyed element the class ``st-key-<key>``."""
    def cls(key: str) -> str:  # Streamlit's own rule: every character but [A-Za-z0-9_-] becomes "-"
        return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())

    # the container sits in a wrapper of its own size: the wrapper is what sticks, inside the panel
    rules = [f'[data-testid="stLayoutWrapper"]:has(> {cls(LABEL_BAR)}) {{position: sticky; bottom: 0; z-index: 20;}}',
             f"{cls(LABEL_BAR)} {{padding: .4rem 0; background: var(--background-color, #fff);"
             " box-shadow: 0 -6px 8px -6px rgba(0,0,0,.25);}"]
    for i, colour in enumerate(keymap.label_colours(n_labels)):
        for kind in ("label", "toggle"):
            rules.append(f"{cls(annotate_key(kind, i))} button {{border-left: 6px solid {colour};}}")
    return "<style>" + "\n".join(rules) + "</style>"


def _key_text(keys: dict[str, str], label: str) -> str:
    return f" ({keys[label]})" if label in keys else ""


def _classification_keys(project, record: Record, suggestion: dict | None, revisit: bool) -> None:
    # revisiting: the record's current label is the one marked; new records: the suggestion
    marked = record.label if revisit and record.label is not None else (suggestion["value"] if suggestion else None)
    suggested = suggestion["value"] if suggestion else None
    keys = project_keys(project)
    columns = st.columns(min(len(project.labels), 6))
    for i, label in enumerate(project.labels):
        columns[i % len(columns)].button(
            components.md(label) + _key_text(keys, label), key=annotate_key("label", i),
            width="stretch", type="primary" if label == marked else "secondary",
            on_click=_act, args=("label", label))
    st.button("Accept suggestion (Enter)", key=annotate_key("accept"), disabled=suggested is None,
              on_click=_act, args=("label", suggested))


def _multilabel_keys(project, record: Record, suggestion: dict | None) -> None:
    selections = st.session_state.setdefault(state.ANNOTATE_MULTI, {})
    if record.id not in selections:
        # start from the current label, else the suggestion (pre-selected)
        start = record.label if record.label is not None else (suggestion["value"] if suggestion else [])
        selections[record.id] = list(start or [])
    chosen = selections[record.id]
    keys = project_keys(project)
    columns = st.columns(min(len(project.labels), 6))
    for i, label in enumerate(project.labels):
        on = label in chosen
        columns[i % len(columns)].button(
            ("☑ " if on else "☐ ") + components.md(label) + _key_text(keys, label),
            key=annotate_key("toggle", i), width="stretch", type="primary" if on else "secondary",
            on_click=_toggle, args=(record.id, label))
    submit, none = st.columns(2)
    submit.button("Submit (Enter)", key=annotate_key("submit"), type="primary",
                  on_click=_submit_multi, args=(record.id,), help="Saves the selected labels")
    none.button("None apply (0)", key=annotate_key("none"), on_click=_none_apply, args=(record.id,),
                help="Saves an explicit answer: no label of the schema applies")


def _ner(project, annotator: str, record: Record, suggestion: dict | None) -> None:
    spans = record.label or []
    suggested = suggestion["value"] if suggestion else None
    new = ner_annotator(record.text, spans, project.labels, suggested, key=annotate_key("ner"),
                        keys=[project_keys(project).get(label) for label in project.labels])
    if new is not None and new != spans:
        _act("label", new, advance=False)
        st.session_state[state.ANNOTATE_NER_SAVED] = record.id
        # the caption and progress above were drawn before this save
        st.rerun(scope="fragment")
    st.button("Save & next", key=annotate_key("ner_next"), shortcut="n", type="primary",
              on_click=_next_ner, args=(record.id, spans),
              help="Keeps the spans shown (none = no entities) and moves on")


def _explanation(store, project, record: Record, show_audit: bool) -> None:
    with st.expander("Why this suggestion?"):
        try:
            render_explanation(store, project, record, show_audit=show_audit)
        except WorkbenchError as exc:
            st.caption(components.md(exc))


def _history(store, project, annotator: str) -> None:
    recent = store.recent_annotations(project, annotator, limit=10)
    if not recent:
        return
    texts = {r.id: r.text for r in store.get_records([a.record_id for a in recent])}
    with st.expander("Your last 10 decisions", expanded=False):
        for a in recent:
            c1, c2, c3 = st.columns([6, 2, 1])
            c1.text(components.snippet(texts.get(a.record_id, ""), 90))
            c2.text(a.kind if a.kind not in ("label", "relabel") else components.value_text(a.value))
            c3.button("Edit", key=annotate_key("edit", a.id), on_click=_open, args=(a.record_id,))
