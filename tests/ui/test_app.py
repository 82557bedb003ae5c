"""AppTest of the router: sidebar state across pages, optional pages, demo on an empty DB."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import start
from workbench.store import Store


def test_sidebar_state_persists_across_pages(db):
    with Store(db) as s:
        s.create_project("one", "classification", ["a", "b"])
        s.create_project("two", "multilabel", ["x", "y"])
    at = start(annotator="dana")
    at.selectbox(key="sidebar.project").select("two").run()
    for page in ("pages/annotate.py", "pages/browse.py", "pages/progress.py", "pages/projects.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.selectbox(key="sidebar.project").value == "two"
        assert any("Signed in as **dana**" in c.value for c in at.sidebar.caption), page


def test_every_page_is_in_the_navigation(db):
    at = start()
    registered = {Path(p["script_path"]).name for p in at._registered_pages.values()}
    assert registered == {"projects.py", "annotate.py", "browse.py", "review.py", "progress.py", "active_learning.py",
                          "explore.py", "audit.py", "export.py", "argilla.py", "admin.py"}


def test_empty_database_gets_the_demo_projects_listed_with_counts(db):
    # `make test` fetches the sample data before pytest runs
    at = start(demo=True)
    assert not at.exception
    with Store(db) as s:
        assert [p.name for p in s.list_projects()] == ["Movie reviews", "Tweets NER"]
    table = at.dataframe[0].value
    counts = dict(zip(table["name"], table["records"]))
    assert counts == {"Movie reviews": 13891, "Tweets NER": 2394}


def test_missing_samples_give_a_note_not_an_error(db, tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.config.SAMPLES_DIR", tmp_path / "no-samples")
    at = start(annotator=None, demo=True)  # the note belongs to the first run only
    assert not at.exception
    assert any("samples fetch" in i.value for i in at.info)
    with Store(db) as s:
        assert s.list_projects() == []


def test_deep_link_before_the_router_ran_still_gets_the_router(db, monkeypatch):
    """With a ``pages/`` folder Streamlit may run a page file alone (multipage v1)
    until st.navigation has run; the page guard reruns through app.py."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(app_test_module, "PagesManager", PagesManager)  # AppTest's own (v1-prone) manager
    with Store(db) as s:
        s.create_project("one", "classification", ["a", "b"])
    at = start("pages/annotate.py", annotator="erin")
    at.run()  # AppTest re-detects pages/ before every run: this run starts as v1
    assert not at.exception
    assert any("erin" in c.value for c in at.sidebar.caption) and at.title[0].value == "Annotate"


@pytest.mark.parametrize("page", ["pages/browse.py", "pages/progress.py", "pages/active_learning.py", "pages/audit.py"])
def test_pages_without_a_project_say_what_to_do(db, page):
    at = start(page)
    assert not at.exception
    assert [i.value for i in at.info] == ["Select or create a project first (Projects page)."]
