"""The shared sidebar: who is signed in (or single-user mode), sign-out, and the project selector."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, state
from workbench.accounts import visible_projects
from workbench.accounts.users import CREATE_FIRST


def _copy(widget_key: str, value_key: str) -> None:
    st.session_state[value_key] = st.session_state.get(widget_key)


def render(store, user) -> None:
    """Draw the sidebar. Keys live in :mod:`pages.ui.state`.

    Only the projects ``user`` may open are offered. Pages that create or rename a project set
    :data:`state.PROJECT_REQUEST`; the request is applied here, before the selectbox exists.
    """
    ss = st.session_state
    names = [p.name for p in visible_projects(store, user)]
    request = ss.pop(state.PROJECT_REQUEST, None)
    if state.PROJECT not in ss:
        request = request or st.query_params.get("project")  # ?project=NAME on the first run
    if request in names:
        ss[state.PROJECT] = request
    if ss.get(state.PROJECT) not in names:
        ss[state.PROJECT] = names[0] if names else None
    # The URL carries the project, so a browser reload (a new session) comes back to it.
    if ss[state.PROJECT] and st.query_params.get("project") != ss[state.PROJECT]:
        st.query_params["project"] = ss[state.PROJECT]
    ss[state.PROJECT_WIDGET] = ss[state.PROJECT]  # the widget starts from the persistent value (state.py)
    with st.sidebar:
        st.selectbox("Project", names, key=state.PROJECT_WIDGET, placeholder="No projects yet",
                     help="Used by every page", on_change=_copy, args=(state.PROJECT_WIDGET, state.PROJECT))
        if user.local:
            st.caption(f"**Local single-user mode**: you are the local admin "
                       f"(labels are stored as `{components.md(user.username)}`). To let a team sign in, create "
                       f"the first account: `{CREATE_FIRST}`.")
        else:
            st.caption(f"Signed in as **{components.md(user.display_name)}** · "
                       f"`{components.md(user.username)}` · {user.role}")
            st.button("Sign out", key=state.SIGN_OUT, on_click=auth.sign_out, icon=":material/logout:")
