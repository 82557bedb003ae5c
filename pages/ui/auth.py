"""Who is acting on this run: the sign-in gate, the session cookie and role checks for pages.

app.py calls :func:`gate` before anything else. In local single-user mode (no account in the
database, served on loopback) everyone is the local admin; once an account exists, a visitor sees
only the sign-in form until they sign in. Identity comes only from here: never from a text box or
the URL.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from pages.ui import components, loaders, state
from workbench import accounts
from workbench.accounts.roles import ACTION_WORDS, User
from workbench.accounts.sessions import session_hours
from workbench.accounts.users import check_serving
from workbench.errors import PermissionDeniedError, WorkbenchError

COOKIE = "workbench_session"
_HERE = Path(__file__).resolve().parent


@functools.cache
def _cookie_component():
    return st.components.v2.component("workbench.session_cookie",
                                      js=(_HERE / "session_cookie.js").read_text(encoding="utf-8"))


def _write_cookie(token: str, max_age: float) -> None:
    _cookie_component()(key=state.AUTH_COOKIE_WIDGET, data={"name": COOKIE, "value": token, "max_age": max_age},
                        height="content")


def current_user() -> User | None:
    """The user :func:`gate` established for this run (None before it ran or while signed out)."""
    return st.session_state.get(state.USER)


def gate(store) -> User | None:
    """The acting user of this run, or None: then app.py routes only :func:`signed_out_page`."""
    ss = st.session_state
    ss.pop(state.AUTH_REFUSED, None)
    if not store.has_accounts():
        try:
            check_serving(store, str(st.get_option("server.address") or ""))
        except WorkbenchError as exc:
            ss[state.AUTH_REFUSED] = str(exc)
            ss.pop(state.USER, None)
            return None
        ss[state.USER] = accounts.local_user()
        return ss[state.USER]
    cookie = st.context.cookies.get(COOKIE)
    token = ss.get(state.SESSION_TOKEN) or (cookie if isinstance(cookie, str) else None)
    user = accounts.user_for_token(store, token)
    if user is None:
        ss.pop(state.USER, None)
        ss.pop(state.SESSION_TOKEN, None)
        return None
    ss[state.SESSION_TOKEN] = token
    ss[state.USER] = user
    if ss.get(state.AUTH_NEW_TOKEN) == token:  # just signed in: hand the browser its cookie
        _write_cookie(token, session_hours() * 3600)
    return user


def _sign_in() -> None:
    ss = st.session_state
    try:
        with loaders.ui_store() as store:
            _, token = accounts.login(store, ss.get(state.AUTH_USERNAME) or "", ss.get(state.AUTH_PASSWORD) or "",
                                      _client())
    except WorkbenchError as exc:
        ss[state.AUTH_NOTICE] = ("error", str(exc))
        return
    ss[state.SESSION_TOKEN] = ss[state.AUTH_NEW_TOKEN] = token
    ss.pop(state.AUTH_PASSWORD, None)


def _client() -> str:
    """The browser's address (rate limits per client); "unknown" where Streamlit does not know it."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "unknown"


def signed_out_page() -> None:
    """The only page while nobody is signed in: the sign-in form (or why this server refuses to serve)."""
    ss = st.session_state
    if ss.get(state.AUTH_REFUSED):
        st.title("Not served")
        components.message("error", ss[state.AUTH_REFUSED])
        return
    if ss.pop(state.AUTH_SIGNED_OUT, False):
        _write_cookie("", 0)
    _sign_in_form()


def _sign_in_form() -> None:
    st.title("Sign in")
    st.caption("This annotation workbench needs an account. Ask your admin for one.")
    components.show_notice(state.AUTH_NOTICE)
    with st.form(state.AUTH_FORM):
        st.text_input("User name", key=state.AUTH_USERNAME, autocomplete="username")
        st.text_input("Password", type="password", key=state.AUTH_PASSWORD, autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", on_click=_sign_in)


def sign_out() -> None:
    """Sidebar button callback: end the session on the server and clear the cookie."""
    ss = st.session_state
    with loaders.ui_store() as store:
        accounts.logout(store, ss.get(state.SESSION_TOKEN))
    for key in list(ss):  # nothing of this user's pages (records on screen, filters) stays for the next one
        del ss[key]
    ss[state.AUTH_SIGNED_OUT] = True


def allowed(action: str) -> bool:
    user = current_user()
    return user is not None and user.can(action)


def require_page(action: str) -> User:
    """At the top of a page: the user, or an error and ``st.stop()`` when their role may not ``action``."""
    user = current_user()
    if user is None or not user.can(action):
        who = f"{user.username} ({user.role})" if user else "You"
        components.message("error", f"{who} may not {ACTION_WORDS[action]}: this page is not available to your role.")
        st.stop()
    return user


def require(store, action: str, project=None) -> User:
    """Server-side check before an action (raises :class:`PermissionDeniedError`, shown as a notice)."""
    user = current_user()
    if user is None:
        raise PermissionDeniedError("you are signed out; sign in again")
    accounts.require(store, user, action, project)
    return user
