"""AppTest of the Export page: counts before download, the prepared file, reviewers only."""

from __future__ import annotations

import json

import pytest

from pages.ui import state
from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store


@pytest.fixture
def labelled(db):
    with Store(db) as s:
        project = s.create_project("films", "classification", ["pos", "neg"])
        ids = add_texts(s, project, ["<b>great</b> film", "awful plot", "fine"], ["pos", "neg", "pos"])
        s.annotate(project, ids[1], "alice", "label", "pos")
    return ids


def test_export_page_counts_then_downloads_the_file(db, labelled):
    at = start("pages/export.py", annotator="alice")
    at.selectbox(key=state.EXPORT_SOURCE).set_value("curated").run()
    assert {m.label: m.value for m in at.metric}["Rows in this export"] == "3"
    counts = at.dataframe[0].value
    assert dict(zip(counts["label"], counts["count"])) == {"pos": 3, "neg": 0}
    at.selectbox(key=state.EXPORT_FORMAT).set_value("jsonl").run()
    at.button(key=state.EXPORT_GO).click().run()
    assert not at.exception, [e.value for e in at.exception]
    bundle = at.session_state[state.EXPORT_BUNDLE][-1]
    rows = [json.loads(line) for line in bundle.data.decode().splitlines()]
    assert [r["text"] for r in rows] == ["<b>great</b> film", "awful plot", "fine"]
    assert [r["label_source"] for r in rows] == ["reference", "annotation", "reference"]
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Download films.jsonl", "Download with the dataset card (films-jsonl.zip)"]
    assert any("label source: curated" in t.value for t in at.text)  # the card, shown before download


def test_export_page_says_what_is_missing(db, labelled):
    at = start("pages/export.py", annotator="alice")
    assert {m.label: m.value for m in at.metric}["Rows in this export"] == "1"  # annotations: one human label
    with Store(db) as s:
        s.create_project("empty", "ner", ["person"])
    at.session_state[state.PROJECT_REQUEST] = "empty"
    at.run()
    assert "conll" in at.selectbox(key=state.EXPORT_FORMAT).options
    assert any("Nothing to export" in i.value for i in at.info)


def test_annotators_have_no_export_page(db, labelled):
    at = start(annotator="ann", role="annotator", projects=("films",))
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/export.py")
