"""AppTest of the Progress page: metrics and altair charts."""

from __future__ import annotations

from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store


def test_progress_counts_and_charts(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg"])
        ids = add_texts(s, project, ["a", "b", "c"], ["pos", "neg", "pos"])
        s.annotate(project, ids[0], "alice", "label", "pos")
        s.annotate(project, ids[1], "bob", "label", "neg")
        s.annotate(project, ids[2], "bob", "skip")
    at = start("pages/progress.py")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Records": "3", "Done": "2 (67%)", "Partly labelled": "0", "Annotators": "2"}
    table = at.dataframe[0].value
    assert dict(zip(table["annotator"], table["records"])) == {"alice": 1, "bob": 1}
    assert len(at.get("vega_lite_chart")) == 5  # per label, per annotator, over time; lengths, people vs reference
    at.segmented_control(key="progress.freq").set_value("hour").run()
    assert not at.exception
