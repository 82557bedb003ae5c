"""Strings from data and users (label names, project names, record ids, file cells quoted in errors) reach
Markdown-rendering elements as entities: shown literally, never formatted, linked or fetched."""

from __future__ import annotations

import html

from pages.ui.components import guidelines_markdown, md
from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store

PAYLOAD = "**bold** ![t](http://127.0.0.1:9/t.png) <img src=x> [a](javascript:x) $x^2$ :smile:"
RAW = ("**", "![", "<img", "](", "$x", ":smile:")


def _no_markup(value: str) -> bool:
    return not any(r in value for r in RAW)


def test_md_round_trips_through_a_markdown_renderer():
    assert html.unescape(md(PAYLOAD)) == PAYLOAD and _no_markup(md(PAYLOAD))
    assert guidelines_markdown("see ![logo](http://x/y.png) or ![r][ref]") == "see [logo](http://x/y.png) or [r][ref]"


def test_labels_ids_and_suggestions_on_the_annotate_page_are_literal(db):
    label = "*pos* ![x](http://127.0.0.1:9/x.png)"
    with Store(db) as s:
        project = s.create_project("p", "classification", [label, "neg"])
        (rid,) = add_texts(s, project, ["some text"])
        s.execute("UPDATE records SET external_id = ? WHERE id = ?", ("[id](http://evil)", rid))
    at = start("pages/annotate.py")
    button = next(b for b in at.button if b.key == "annotate.label.0")
    assert _no_markup(button.label) and html.unescape(button.label) == f"{label} (1)"  # with its key hint
    caption = next(c.value for c in at.caption if "record" in c.value)
    assert "](" not in caption and "[id](http://evil)" in html.unescape(caption)


def test_import_errors_quoting_file_cells_are_literal(db, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_IMPORT_DIRS", str(tmp_path))
    with Store(db) as s:
        s.create_project("r", "classification", ["pos"])
    bad = tmp_path / "bad.csv"
    bad.write_text(f"text,label\nfine,\"{PAYLOAD}\"\n", encoding="utf-8")
    at = start("pages/projects.py")
    at.radio(key="projects.import.source").set_value("Path on the server").run()
    at.text_input(key="projects.import.path").input(str(bad)).run()
    at.selectbox(key="projects.import.project").select("r").run()
    at.button(key="projects.import.go").click().run()
    error = at.error[0].value
    assert _no_markup(error) and "**bold**" in html.unescape(error)
