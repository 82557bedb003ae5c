"""The ``?`` keyboard help: an overlay listing every shortcut of the page the user is on."""

from __future__ import annotations

import streamlit as st

from pages.ui import state
from workbench import keymap

HELP_KEY = "?"


def request_help(page: str) -> None:
    """Ask for the overlay of ``page`` on this run (a ``?`` press, or the help button)."""
    st.session_state[state.HELP_OPEN] = page


def annotate_shortcuts(project) -> list[tuple[str, str]]:
    """(key, what it does) on the Annotate page for this project's task and keys."""
    labels = keymap.label_keys(project.labels, project.settings.label_keys)
    if project.task == "ner":
        rows = [("mouse drag / Shift+←→", "select words"), ("← →, Home, End", "move the cursor")]
        rows += [(key, f"label the selection {label}") for label, key in labels.items()]
        rows += [("Enter", "accept the suggested spans"), ("Delete / Backspace", "remove the selected span"),
                 ("Esc", "clear the selection"), ("n", "save & next"), ("s", "skip"), ("z", "undo")]
    else:
        verb = "toggle" if project.task == "multilabel" else "label as"
        rows = [(key, f"{verb} {label}") for label, key in labels.items()]
        rows += [("Enter", "submit the selection" if project.task == "multilabel" else "accept the suggestion")]
        if project.task == "multilabel":
            rows.append(("0", "none apply"))
        rows += [("s", "skip"), ("z", "undo the last decision")]
    unkeyed = [label for label in project.labels if label not in labels]
    if unkeyed:
        rows.append(("(click)", f"{len(unkeyed)} more label(s) have no key: " + ", ".join(unkeyed[:5])))
    return rows + [(HELP_KEY, "show this help"), ("Esc", "close it")]


def audit_shortcuts(project) -> list[tuple[str, str]]:
    labels = keymap.label_keys(project.labels, project.settings.label_keys)
    rows = [("k", "keep the given label"), ("a", "ambiguous"), ("x", "exclude from curated exports"),
            ("l", "later (next flagged record)")]
    if project.task == "classification":
        rows += [(key, f"relabel as {label}") for label, key in labels.items()]
    else:
        rows.append(("Enter", "accept the suggestion"))
    return rows + [(HELP_KEY, "show this help"), ("Esc", "close it")]


def review_shortcuts(project, letters: str, label_keys: dict[str, str]) -> list[tuple[str, str]]:
    rows = [(letter, f"accept the annotators' label {letter}") for letter in letters]
    rows += [(key, f"set {label} as the final label") for label, key in label_keys.items()]
    return rows + [("Enter", "accept the consensus"), ("s", "skip"), (HELP_KEY, "show this help"),
                   ("Esc", "close it")]


@st.dialog("Keyboard shortcuts", width="large")
def _overlay(title: str, rows: list[tuple[str, str]]) -> None:
    st.caption(f"{title}: these keys work anywhere on the page, except while typing in a text box.")
    st.table([{"key": key, "does": what} for key, what in rows])


def help_overlay(page: str, title: str, rows: list[tuple[str, str]]) -> None:
    """A small button that opens the overlay, and the overlay itself when ``?`` asked for it."""
    st.button("Keyboard shortcuts (?)", key=state.page_key(state.HELP_BUTTON, page), on_click=request_help,
              args=(page,), type="tertiary", icon=":material/keyboard:")
    if st.session_state.get(state.HELP_OPEN) == page:
        st.session_state.pop(state.HELP_OPEN, None)
        _overlay(title, rows)
