"""AppTest of the router: sidebar state across pages, optional pages, demo on an empty DB."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import APP, start
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
        assert (at.selectbox(key="sidebar.project").value, at.text_input(key="sidebar.annotator").value) == ("two", "dana")


def test_optional_pages_are_listed_when_present(db):
    at = start()
    registered = {Path(p["script_path"]).name for p in at._registered_pages.values()}
    root = Path(APP).parent
    for name in ("active_learning.py", "audit.py"):
        assert (name in registered) == (root / "pages" / name).exists()
    assert {"projects.py", "annotate.py", "browse.py", "progress.py"} <= registered


def test_empty_database_gets_the_demo_or_a_note(db):
    at = start(demo=True)
    assert not at.exception
    with Store(db) as s:
        names = [p.name for p in s.list_projects()]
    # with the sample data fetched the demo projects exist; without it the page says why
    assert names or any("demo" in i.value.lower() for i in at.info)


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
    assert at.text_input(key="sidebar.annotator").value == "erin" and at.title[0].value == "Annotate"
