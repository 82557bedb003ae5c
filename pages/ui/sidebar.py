"""The shared sidebar: project selector and annotator name (persist across pages)."""

from __future__ import annotations

import streamlit as st

from pages.ui import state


def _copy(widget_key: str, value_key: str) -> None:
    st.session_state[value_key] = st.session_state.get(widget_key)


def render(store) -> None:
    """Draw the sidebar. Keys live in :mod:`pages.ui.state`.

    Pages that create or rename a project set :data:`state.PROJECT_REQUEST`;
    the request is applied here, before the selectbox exists.
    """
    ss = st.session_state
    names = [p.name for p in store.list_projects()]
    request = ss.pop(state.PROJECT_REQUEST, None)
    if state.PROJECT not in ss:
        request = request or st.query_params.get("project")  # ?project=NAME on the first run
    if request in names:
        ss[state.PROJECT] = request
    if ss.get(state.PROJECT) not in names:
        ss[state.PROJECT] = names[0] if names else None
    if state.ANNOTATOR not in ss:
        # ?annotator=NAME in the URL pre-fills the name (shared links, browser tests)
        ss[state.ANNOTATOR] = st.query_params.get("annotator", "")
    # The URL carries both, so a browser reload (a new session) comes back to them.
    for param, value in (("project", ss[state.PROJECT]), ("annotator", ss[state.ANNOTATOR])):
        if value and st.query_params.get(param) != value:
            st.query_params[param] = value
    # Widgets start from the persistent values on every run (see state.py).
    ss[state.PROJECT_WIDGET] = ss[state.PROJECT]
    ss[state.ANNOTATOR_WIDGET] = ss[state.ANNOTATOR]
    with st.sidebar:
        st.selectbox("Project", names, key=state.PROJECT_WIDGET, placeholder="No projects yet",
                     help="Used by every page", on_change=_copy, args=(state.PROJECT_WIDGET, state.PROJECT))
        st.text_input("Your name", key=state.ANNOTATOR_WIDGET, placeholder="annotator name",
                      help="Stored with every label you make",
                      on_change=_copy, args=(state.ANNOTATOR_WIDGET, state.ANNOTATOR))
        if not (ss.get(state.ANNOTATOR) or "").strip():
            st.caption("Enter your name to annotate.")
