"""Store access for pages: one connection per use, never cached across reruns.

Streamlit runs every rerun in a thread; a short-lived :class:`Store` per use is
cheap and avoids sharing a connection between threads (DESIGN.md, Store).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from pages.ui import components, state
from workbench import jobs
from workbench.accounts.users import can_open
from workbench.config import db_path
from workbench.demo import ensure_demo
from workbench.errors import WorkbenchError
from workbench.store import open_store


def mark_routed() -> None:
    """Called by app.py just before it runs the selected page (see :func:`require_router`)."""
    st.session_state[state.ROUTED] = True


def require_router() -> None:
    """Make sure this page was started by app.py's ``st.navigation``.

    Streamlit treats a folder named ``pages/`` next to the entry point as a
    multipage-v1 app until ``st.navigation`` has run once in the process; a
    deep link (``/annotate``) as the very first request would run the page file
    alone, without the router and sidebar. Then declare the app's navigation
    (Streamlit's own switch to v2) and rerun, which runs app.py and lands on
    the same page.
    """
    if st.session_state.pop(state.ROUTED, False):
        return
    from pages.ui import router

    router.all_pages()  # app.py runs next and routes by role; this page's code never ran
    st.rerun()


@contextmanager
def ui_store() -> Iterator:
    """Open the configured database (``$WORKBENCH_DB``) for one block; always closed."""
    store = open_store()
    try:
        yield store
    finally:
        store.close()


def workbench():
    """The Python API for the configured database, one per database path (it holds no connection)."""
    return _workbench(str(db_path()))


@functools.cache
def _workbench(path: str):
    from workbench import api

    return api.connect(path)


def require_project(store):
    """The selected project; without one, a hint and ``st.stop()`` (pages that need a project)."""
    project = current_project(store)
    if project is None:
        st.info("Select or create a project first (Projects page).")
        st.stop()
    return project


def annotator_name() -> str:
    """The signed-in user's name (what their annotation rows carry); '' when signed out."""
    user = st.session_state.get(state.USER)
    return user.username if user is not None else ""


def current_project(store):
    """The project selected in the sidebar, or None (no projects, it was deleted or archived, or not visible to
    the user)."""
    name = st.session_state.get(state.PROJECT)
    user = st.session_state.get(state.USER)
    if not name or user is None:
        return None
    project = store.find_project(name)
    usable = project is not None and project.archived_at is None and can_open(store, user, project)
    return project if usable else None


def ensure_demo_once(store) -> None:
    """On the first run of a session: mark jobs whose worker died as failed and, with an empty DB,
    import the demo projects.

    Missing sample files are reported with ``st.info`` (run ``make samples``),
    never raised.
    """
    if st.session_state.get(state.DEMO_CHECKED):
        return
    st.session_state[state.DEMO_CHECKED] = True
    jobs.recover(store)  # app start: jobs whose worker died while the app was down are marked failed
    if store.list_projects():
        return

    try:
        with st.spinner("Importing the demo projects from the sample data..."):
            created = ensure_demo(store)
    except WorkbenchError as exc:
        components.message("info", f"No demo projects: {exc}")
        return
    if created:
        st.toast("Demo projects ready: " + components.md(", ".join(created)))
