"""AppTest of the Browse page: search, filters, paging, open on the Annotate page."""

from __future__ import annotations

from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store


def _open_buttons(at):
    return [b for b in at.button if b.key and b.key.startswith("browse.open.")]


def test_search_filter_page_and_open(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg"])
        ids = add_texts(s, project, [f"film number {i}" for i in range(30)] + ["a <b>bold</b> plot twist"])
        s.annotate(project, ids[3], "carol", "label", "neg")
    at = start("pages/browse.py")
    assert len(_open_buttons(at)) == 25 and "31 records" in at.caption[0].value
    at.button(key="browse.next").click().run()
    assert len(_open_buttons(at)) == 6
    at.text_input(key="browse.text").input("plot").run()
    assert [b.key for b in _open_buttons(at)] == [f"browse.open.{ids[-1]}"]
    assert any(t.value == "a <b>bold</b> plot twist" for t in at.text)  # literal, not HTML
    at.text_input(key="browse.text").input("").run()
    at.selectbox(key="browse.annotator").select("carol").run()
    assert [b.key for b in _open_buttons(at)] == [f"browse.open.{ids[3]}"]
    at.selectbox(key="browse.status").select("labelled").run()
    at.button(key=f"browse.open.{ids[3]}").click().run()
    assert not at.exception
    assert at.title[0].value == "Annotate" and at.text[0].value == "film number 3"
