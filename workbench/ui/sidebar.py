"""The shared sidebar: project selector and annotator name (persist across pages)."""

from __future__ import annotations

import streamlit as st

from workbench.ui import state


def render(store) -> None:
    """Draw the sidebar. Widget keys live in :mod:`workbench.ui.state`.

    Pages that create or rename a project set :data:`state.PROJECT_REQUEST` and
    rerun; the request is applied here, before the selectbox exists.
    """
    names = [p.name for p in store.list_projects()]
    request = st.session_state.pop(state.PROJECT_REQUEST, None)
    if request in names:
        st.session_state[state.PROJECT] = request
    if st.session_state.get(state.PROJECT) not in names:
        st.session_state[state.PROJECT] = names[0] if names else None
    if state.ANNOTATOR not in st.session_state:
        # ?annotator=NAME in the URL pre-fills the name (handy for shared links and tests)
        st.session_state[state.ANNOTATOR] = st.query_params.get("annotator", "")
    with st.sidebar:
        st.selectbox("Project", names, key=state.PROJECT, placeholder="No projects yet",
                     help="Used by every page")
        st.text_input("Your name", key=state.ANNOTATOR, placeholder="annotator name",
                      help="Stored with every label you make")
        if not (st.session_state.get(state.ANNOTATOR) or "").strip():
            st.caption("Enter your name to annotate.")
