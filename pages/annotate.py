"""Annotate: one record at a time, keyboard first (see pages.ui.annotate_panel)."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from pages.ui.annotate_panel import annotation_panel
from workbench.config import ProjectSettings
from workbench.errors import WorkbenchError


def _save_recheck_share(project_name: str, key: str) -> None:
    try:
        with loaders.ui_store() as store:
            project = store.get_project(project_name)
            auth.require(store, "settings", project)
            settings = ProjectSettings.from_dict({**project.settings.to_dict(),
                                                  "recheck_share": float(st.session_state[key])})
            store.update_project(project, settings=settings)
    except WorkbenchError as exc:
        st.session_state[state.ANNOTATE_MESSAGE] = ("error", str(exc))


def _queue_options(project) -> None:
    with st.expander("Queue options"):
        key = state.page_key(state.ANNOTATE_RECHECK, project.id)
        st.slider("Mix in re-checks", 0.0, 0.5, value=float(project.settings.recheck_share), step=0.05, key=key,
                  on_change=_save_recheck_share, args=(project.name, key),
                  help="Share of the queue that re-checks labelled records the latest audit flagged "
                       "(lowest label quality first; reviewers and admins get them). 0 turns it off.")


loaders.require_router()
st.title("Annotate")
with loaders.ui_store() as store:
    project = loaders.current_project(store)
if project is not None:
    with st.expander("Guidelines", expanded=False):
        st.markdown(components.guidelines_markdown(project.guidelines) or
                    "_No guidelines yet: add them on the Projects page._")
    if auth.allowed("settings"):
        _queue_options(project)
    keys = ("select words (mouse or Shift+arrows) · a label's key labels them · Enter accept suggested spans · "
            "n save & next" if project.task == "ner" else
            "each label's key is on its button" + (" (toggle) · Enter submit" if project.task == "multilabel"
                                                   else " · Enter accept suggestion"))
    st.caption(f"Keys: {keys} · s skip · z undo · ? all keys")
annotation_panel()
