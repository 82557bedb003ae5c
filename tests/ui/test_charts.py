"""Chart conventions on the real pages: whole-number count axes, full legends, distinct run colours,
numbers in heatmap cells."""

from __future__ import annotations

import json

from pages.ui import charts
from tests.conftest import add_texts
from tests.ui.conftest import start
from tests.ui.test_audit_page import audited  # noqa: F401 - fixture
from workbench.store import Store


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _walk(spec):
    yield spec
    for value in spec.values() if isinstance(spec, dict) else spec if isinstance(spec, list) else []:
        if isinstance(value, (dict, list)):
            yield from _walk(value)


def test_heatmap_writes_each_count_in_its_cell():
    spec = charts.heatmap([{"g": "a", "s": "b", "n": 3}, {"g": "b", "s": "a", "n": 9}], "s", "g", "n").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["rect", "text"] and spec["layer"][1]["encoding"]["text"]["format"] == ",d"


def test_live_and_simulated_runs_get_distinct_colours():
    scale = charts.run_scale(["sim:margin", "live", "sim:random"]).to_dict()
    assert scale["domain"][0] == "live" and scale["range"][0] == charts.LIVE_COLOUR
    assert len(set(scale["range"])) == 3


def test_progress_page_counts_have_integer_axes_and_full_legends(db):
    with Store(db) as s:
        project = s.create_project("films", "classification", ["a rather long label name", "neg"])
        ids = add_texts(s, project, ["x", "y", "z"], ["neg", "neg", "neg"])
        s.annotate(project, ids[0], "alice", "label", "neg")
    at = start("pages/progress.py", annotator="alice")
    specs = _specs(at)
    assert specs, "no charts drawn"
    axes = [node for spec in specs for node in _walk(spec) if isinstance(node, dict) and "tickMinStep" in node]
    assert len(axes) >= 3 and all(a["tickMinStep"] == 1 and a["format"] == ",d" for a in axes)
    legends = [node["legend"] for spec in specs for node in _walk(spec)
               if isinstance(node, dict) and isinstance(node.get("legend"), dict)]
    assert legends and all(lg["labelLimit"] == 0 for lg in legends)


def test_audit_summary_heatmap_has_numbers(db, audited):  # noqa: F811
    at = start("pages/audit.py", annotator="alice")
    texts = [node for spec in _specs(at) for node in _walk(spec)
             if isinstance(node, dict) and isinstance(node.get("mark"), dict) and node["mark"].get("type") == "text"]
    assert texts, "the confusion heatmap has no text layer"
