"""Team (admins): accounts, roles and project membership; the same as ``python -m workbench user|member``."""

from __future__ import annotations

import streamlit as st

from pages.ui import auth, components, loaders, state
from workbench import accounts
from workbench.accounts.roles import ROLES
from workbench.errors import ValidationError, WorkbenchError

loaders.require_router()
auth.require_page("users")
st.title("Team")


def _notice(level: str, text: str) -> None:
    st.session_state[state.TEAM_NOTICE] = (level, text)


def _add() -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            auth.require(store, "users")
            first = not store.has_accounts()
            user = accounts.add_user(store, ss.get(state.TEAM_ADD_NAME) or "", ss.get(state.TEAM_ADD_PASSWORD) or "",
                                     ss.get(state.TEAM_ADD_ROLE) or "", display_name=ss.get(state.TEAM_ADD_DISPLAY),
                                     projects=ss.get(state.TEAM_ADD_PROJECTS) or [])
    except WorkbenchError as exc:
        _notice("error", str(exc))
        return
    for key in (state.TEAM_ADD_NAME, state.TEAM_ADD_DISPLAY, state.TEAM_ADD_PASSWORD, state.TEAM_ADD_PROJECTS):
        ss.pop(key, None)
    _notice("success", f"Created {user.role} {user.username!r}." + (
        " Sign-in is now required: sign in with an admin account." if first else ""))


def _change(username: str, current: list[str]) -> None:
    ss = st.session_state
    projects_key, password_key, disabled_key = (state.page_key(k, username) for k in (
        state.TEAM_CHANGE_PROJECTS, state.TEAM_CHANGE_PASSWORD, state.TEAM_CHANGE_DISABLED))
    try:
        with loaders.ui_store() as store:
            auth.require(store, "users")
            wanted = set(ss.get(projects_key) or [])
            with store.atomic():
                for name in wanted - set(current):
                    accounts.add_member(store, name, username)
                for name in set(current) - wanted:
                    accounts.remove_member(store, name, username)
                if ss.get(password_key):
                    accounts.set_password(store, username, ss[password_key])
                disabled = bool(ss.get(disabled_key))
                if disabled != accounts.users.get_user_row(store, username)["disabled"]:
                    if disabled and username == auth.current_user().username:
                        raise ValidationError("you cannot disable your own account while signed in with it")
                    accounts.disable_user(store, username, disabled=disabled)
    except WorkbenchError as exc:
        _notice("error", str(exc))
        return
    ss.pop(password_key, None)
    _notice("success", f"Saved {username!r}.")


with loaders.ui_store() as store:
    users = accounts.list_users(store)
    project_names = [p.name for p in store.list_projects()]
components.show_notice(state.TEAM_NOTICE)
if not users:
    st.info("Local single-user mode: nobody needs to sign in. Creating the first account below (make it an admin) "
            "turns on sign-in for everyone.")
else:
    st.dataframe([{**u, "projects": ", ".join(u["projects"])} for u in users], hide_index=True, width="stretch")

with st.expander("Add an account", expanded=not users):
    with st.form(state.TEAM_ADD_FORM):
        c1, c2 = st.columns(2)
        c1.text_input("User name", key=state.TEAM_ADD_NAME, help="letters, digits, '.', '_' or '-'")
        c2.text_input("Display name", key=state.TEAM_ADD_DISPLAY)
        c1.selectbox("Role", ROLES, index=ROLES.index("admin") if not users else ROLES.index("annotator"),
                     key=state.TEAM_ADD_ROLE,
                     help="admin: everything · reviewer: annotate, review, audit, export · annotator: annotate "
                          "their projects")
        c2.text_input("Password", type="password", key=state.TEAM_ADD_PASSWORD, autocomplete="new-password",
                      help="at least 8 characters")
        st.multiselect("Projects", project_names, key=state.TEAM_ADD_PROJECTS,
                       help="Reviewers and annotators see only these; admins see all")
        st.form_submit_button("Add account", type="primary", on_click=_add)

if users:
    with st.expander("Change an account"):
        names = [u["username"] for u in users]
        chosen = st.selectbox("Account", names, key=state.TEAM_USER)
        row = next(u for u in users if u["username"] == chosen)
        with st.form(state.page_key(state.TEAM_CHANGE_FORM, chosen)):
            st.multiselect("Projects", project_names, default=row["projects"],
                           key=state.page_key(state.TEAM_CHANGE_PROJECTS, chosen))
            st.text_input("New password (leave empty to keep)", type="password", autocomplete="new-password",
                          key=state.page_key(state.TEAM_CHANGE_PASSWORD, chosen))
            st.checkbox("Disabled (cannot sign in; their labels stay)", value=row["disabled"],
                        key=state.page_key(state.TEAM_CHANGE_DISABLED, chosen))
            st.form_submit_button("Save", on_click=_change, args=(chosen, row["projects"]))
