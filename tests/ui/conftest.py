"""AppTest helpers: a temporary database per test and the app started on a page."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from pages.ui.state import DEMO_CHECKED
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


def start(page: str | None = None, annotator: str | None = "alice", demo: bool = False) -> AppTest:
    """Run the app once, set the annotator name, and switch to ``page``.

    ``demo=False`` skips the start-up demo import (an empty test DB would get it).
    """
    at = AppTest.from_file(APP, default_timeout=60)
    if not demo:
        at.session_state[DEMO_CHECKED] = True
    at.run()
    if annotator is not None:
        at.text_input(key="sidebar.annotator").set_value(annotator).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
