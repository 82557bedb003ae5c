"""AppTest helpers: a temporary database per test and the app started on a page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from pages.ui.state import AUTH_PASSWORD, AUTH_USERNAME, DEMO_CHECKED
from workbench import accounts
from workbench.store import Store

APP = str(Path(__file__).resolve().parents[2] / "app.py")


class _NavigationPagesManager(PagesManager):
    """AppTest resets ``uses_pages_directory`` before every run; with a ``pages/``
    folder next to app.py it then runs the page file alone (multipage v1) instead
    of app.py's ``st.navigation`` from the second run on. The real server sets the
    flag to False once st.navigation has run; do the same here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture(autouse=True)
def _navigation_pages(monkeypatch):
    monkeypatch.setattr(app_test_module, "PagesManager", _NavigationPagesManager)


@pytest.fixture
def db(tmp_path, monkeypatch):
    """Path of a fresh database the app will use ($WORKBENCH_DB)."""
    path = tmp_path / "app.db"
    monkeypatch.setenv("WORKBENCH_DB", str(path))
    Store(path).close()
    return path


PASSWORD = "correct-horse-1"


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fill the sign-in form like a person would and submit it."""
    at.text_input(key=AUTH_USERNAME).set_value(username)
    at.text_input(key=AUTH_PASSWORD).set_value(password)
    return next(b for b in at.button if b.label == "Sign in").click().run()


def start(page: str | None = None, annotator: str | None = "alice", demo: bool = False, role: str = "admin",
          projects: tuple[str, ...] = ()) -> AppTest:
    """Run the app once signed in as ``annotator`` (an account with ``role`` is created if missing), then
    switch to ``page``. ``annotator=None``: local single-user mode (no accounts).

    ``demo=False`` skips the start-up demo import (an empty test DB would get it).
    """
    if annotator is not None:
        with Store(os.environ["WORKBENCH_DB"]) as store:
            if store.user_row(annotator) is None:
                accounts.add_user(store, annotator, PASSWORD, role, projects=projects)
    at = AppTest.from_file(APP, default_timeout=60)
    if not demo:
        at.session_state[DEMO_CHECKED] = True
    at.run()
    if annotator is not None:
        sign_in(at, annotator)
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
