"""AppTest of the Browse page: search, filters, paging, one table with named columns, a picked row opens
on the Annotate page and shows its history; reviewers filter by "unsure" flags."""

from __future__ import annotations

from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store


def _table(at):
    return at.dataframe[0].value


def _pick(at, page: int, row: int):
    at.session_state[f"browse.table.{page}"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


def test_search_filter_page_and_open(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg"])
        ids = add_texts(s, project, [f"film number {i}" for i in range(30)] + ["a <b>bold</b> plot twist"])
        s.annotate(project, ids[3], "carol", "label", "neg")
    at = start("pages/browse.py")
    assert len(_table(at)) == 25 and "31 records" in at.caption[0].value
    assert list(_table(at).columns) == ["id", "text", "label", "suggestion", "quality", "flag"]
    at.button(key="browse.next").click().run()
    assert len(_table(at)) == 6
    at.text_input(key="browse.text").input("plot").run()
    assert list(_table(at)["text"]) == ["a <b>bold</b> plot twist"]  # literal, not HTML
    at.text_input(key="browse.text").input("").run()
    at.selectbox(key="browse.annotator").select("carol").run()
    assert list(_table(at)["id"]) == ["3"]
    at.selectbox(key="browse.status").select("labelled").run()
    _pick(at, 1, 0)
    history = at.dataframe[1].value  # the picked record's decision history
    assert list(history["who"]) == ["carol"] and list(history["value"]) == ["neg"]
    at.button(key="browse.open").click().run()
    assert not at.exception
    assert at.title[0].value == "Annotate" and at.text[0].value == "film number 3"


def test_unsure_flags_are_raised_on_annotate_and_filtered_on_browse(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg"])
        ids = add_texts(s, project, ["is this sarcasm?", "plainly good"])
    ann = start("pages/annotate.py", annotator="ann", role="annotator", projects=("reviews",))
    ann.toggle(key="annotate.history").set_value(True).run()
    form = "history.form.annotate." + str(ids[0])
    ann.text_area(key=f"{form}.body").input("sarcasm or praise?")
    ann.checkbox(key=f"{form}.unsure").check()
    ann.button(key=f"FormSubmitter:{form}-Save comment").click().run()
    assert not ann.exception and "Flagged as unsure" in ann.success[0].value
    with Store(db) as s:
        assert s.open_flags(s.get_project("reviews")) == {ids[0]: "unsure"}
    rev = start("pages/browse.py", annotator="rita", role="reviewer", projects=("reviews",))
    rev.toggle(key="browse.flagged").set_value(True).run()
    assert list(_table(rev)["text"]) == ["is this sarcasm?"] and list(_table(rev)["flag"]) == ["unsure"]
    _pick(rev, 1, 0)
    assert any("sarcasm or praise?" in m.value for m in rev.markdown)
    rev.button(key=f"history.resolve.history.{ids[0]}").click().run()
    with Store(db) as s:
        assert s.open_flags(s.get_project("reviews")) == {}
