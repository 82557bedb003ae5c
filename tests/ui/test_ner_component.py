"""NER annotator component: pure span helpers, the browser payload, and an AppTest render."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui import ner_component as nc
from workbench.errors import ValidationError

TEXT = "Alice flew to New-York, met @bob_99 at https://x.org/a?b=1 😀 <b>hi</b>"


def test_merge_spans_accepts_what_fits_and_reports_the_rest():
    existing = [{"start": 0, "end": 5, "label": "per"}]
    suggested = [
        {"start": 0, "end": 5, "label": "per"},     # duplicate: silently kept once
        {"start": 3, "end": 10, "label": "loc"},    # overlaps the existing span
        {"start": 14, "end": 22, "label": "loc"},
        {"start": 20, "end": 25, "label": "per"},   # overlaps the accepted suggestion
    ]
    merged, refused = nc.merge_spans(existing, suggested)
    assert merged == [{"start": 0, "end": 5, "label": "per"}, {"start": 14, "end": 22, "label": "loc"}]
    assert refused == [{"start": 3, "end": 10, "label": "loc"}, {"start": 20, "end": 25, "label": "per"}]


def test_usable_suggestions_drops_invalid_model_output():
    suggested = [
        {"start": 0, "end": 5, "label": "per"},
        {"start": 2, "end": 8, "label": "per"},      # overlaps the first
        {"start": 6, "end": 10, "label": "gone"},    # label no longer in the schema
        {"start": 60, "end": 999, "label": "loc"},   # out of bounds
        {"start": 9},                                # malformed
    ]
    assert nc.usable_suggestions(suggested, ["per", "loc"], TEXT) == [{"start": 0, "end": 5, "label": "per"}]
    assert nc.usable_suggestions(None, ["per"], TEXT) == []


def test_component_data_validates_spans_and_colours_labels():
    labels = [f"l{i}" for i in range(11)]
    data = nc.component_data(TEXT, [{"start": 14, "end": 22, "label": "l0"}, {"start": 0, "end": 5, "label": "l1"}],
                             labels, [{"start": 6, "end": 10, "label": "l2"}])
    assert [s["start"] for s in data["spans"]] == [0, 14]
    assert data["tokens"][0] == [0, 5]
    # the 10th label has its own key and colour (it reused the first label's colour, with no key)
    assert len(set(data["colors"])) == 11 and data["keys"][:10] == [*"123456789", "q"]
    assert data["suggested"] == [{"start": 6, "end": 10, "label": "l2"}]
    json.dumps(data)  # must travel to the browser as JSON
    with pytest.raises(ValidationError, match="overlap"):
        nc.component_data(TEXT, [{"start": 0, "end": 5, "label": "l0"}, {"start": 4, "end": 8, "label": "l0"}], labels)


def test_check_edit_validates_what_the_browser_sent():
    ok = {"spans": [{"start": 14, "end": 22, "label": "loc"}, {"start": 0, "end": 5, "label": "per"}],
          "text_length": len(TEXT)}
    assert nc.check_edit(ok, ["per", "loc"], TEXT) == [
        {"start": 0, "end": 5, "label": "per"}, {"start": 14, "end": 22, "label": "loc"}]
    with pytest.raises(ValidationError, match="different text"):
        nc.check_edit({**ok, "text_length": 3}, ["per", "loc"], TEXT)
    with pytest.raises(ValidationError, match="not in the schema"):
        nc.check_edit({"spans": [{"start": 0, "end": 5, "label": "org"}]}, ["per"], TEXT)
    with pytest.raises(ValidationError, match="expected an object"):
        nc.check_edit(None, ["per"], TEXT)


def test_an_edit_is_kept_for_the_next_run_of_the_same_text_only():
    state: dict = {}
    payload = {"spans": [{"start": 0, "end": 5, "label": "per"}], "text_length": len(TEXT)}
    nc.record_edit(state, "ner", payload, ["per"], TEXT)
    assert nc.take_edit(state, "ner", TEXT) == ([{"start": 0, "end": 5, "label": "per"}], None)
    assert nc.take_edit(state, "ner", TEXT) == (None, None)  # returned once
    nc.record_edit(state, "ner", payload, ["per"], TEXT)
    spans, error = nc.take_edit(state, "ner", "another record")
    assert spans is None and "another text" in error
    nc.record_edit(state, "ner", {"spans": [{"start": 0, "end": 5, "label": "org"}]}, ["per"], TEXT)
    spans, error = nc.take_edit(state, "ner", TEXT)
    assert spans is None and "not in the schema" in error
    assert state[f"{nc.STATE_PREFIX}ner.revision"] == 3  # each edit makes the browser redraw


def test_browser_code_never_parses_dataset_text_as_html():
    js = (Path(nc.__file__).parent / "ner_component.js").read_text(encoding="utf-8")
    assert not re.search(r"\.(innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment)\b", js)
    assert "textContent" in js


def _app():
    import streamlit as st

    from pages.ui.ner_component import ner_annotator

    text = "<script>alert(1)</script> Alice"
    result = ner_annotator(text, [{"start": 26, "end": 31, "label": "per"}], ["per", "loc"],
                           [{"start": 0, "end": 1, "label": "loc"}], key="ner")
    st.write(f"result={result}")


def test_apptest_mounts_the_component_with_its_payload():
    at = AppTest.from_function(_app).run(timeout=10)
    assert not at.exception
    (element,) = at.get("bidi_component")
    assert element.proto.component_name == nc.COMPONENT_NAME
    data = json.loads(element.proto.json)
    assert data["text"] == "<script>alert(1)</script> Alice"
    assert data["spans"] == [{"start": 26, "end": 31, "label": "per"}]
    assert data["suggested"] == [{"start": 0, "end": 1, "label": "loc"}]
    assert "textContent" in element.proto.js_content
    assert at.markdown[0].value == "result=None"  # no edit yet
