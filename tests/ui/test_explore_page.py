"""AppTest of the Explore page: the map, colour by each field, the cluster table, actions; text stays literal."""

from __future__ import annotations

import json

import pytest

from pages.ui import state
from services import explore
from tests.conftest import add_texts
from tests.ui.conftest import start
from tests.unit.services.explore.test_explore import TOPICS, planted
from workbench.store import Store

EVIL = "<script>alert('x')</script> the telescope and the galaxy"


@pytest.fixture
def mapped(db):
    with Store(db) as s:
        project = s.create_project("topics", "classification", list(TOPICS))
        texts, topics = planted()
        texts[-1] = EVIL
        ids = add_texts(s, project, texts, topics)
        s.annotate(project, ids[0], "alice", "label", "football")
        map_id = explore.build_map(s, project)
    return ids, map_id


def _chart_rows(proto) -> list[dict]:
    """The chart's data rows: inline in the spec, or sent beside it as Arrow tables."""
    import pyarrow as pa

    spec = json.loads(proto.spec)
    if spec.get("data", {}).get("values"):
        return spec["data"]["values"]
    for blob in [proto.data.data, *(d.data.data for d in proto.datasets)]:
        if blob:
            return pa.ipc.open_stream(blob).read_all().to_pylist()
    raise AssertionError("no data in the chart")


def test_the_map_page_draws_points_clusters_and_every_colour(db, mapped):
    ids, _map_id = mapped
    at = start("pages/explore.py")
    assert not at.exception, [e.value for e in at.exception]
    chart = at.get("vega_lite_chart")[0]
    values = _chart_rows(chart.proto)
    assert len(values) == len(ids)
    assert any(v["text"].startswith("<script>alert") for v in values)  # the tooltip text is data, never markup
    assert json.loads(chart.proto.spec)["encoding"]["tooltip"][0]["field"] == "text"
    assert all("<script>" not in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert table["size"].sum() == len(ids) and len(table) >= 3
    for colour in ("human label", "model prediction", "uncertainty", "audit label quality", "split", "annotator",
                   "status", "cluster"):
        at.selectbox(key=state.EXPLORE_COLOUR).set_value(colour).run()
        assert not at.exception, (colour, [e.value for e in at.exception])
    for sort in ("unlabelled share", "uncertainty", "audit flags", "size"):
        at.radio(key=state.EXPLORE_SORT).set_value(sort).run()
        assert not at.exception


def test_queue_one_representative_per_cluster_from_the_page(db, mapped):
    at = start("pages/explore.py")
    at.button(key=state.EXPLORE_REPRESENTATIVES).click().run()
    assert not at.exception
    assert any("representative of each of" in s.value for s in at.success)
    with Store(db) as s:
        assert s.priority_count(s.get_project("topics")) >= 3


def test_annotators_do_not_get_the_page(db, mapped):
    at = start(annotator="bob", role="annotator", projects=("topics",))
    with pytest.raises(ValueError):
        at.switch_page("pages/explore.py").run()


def test_without_a_map_the_page_offers_to_build_one(db):
    with Store(db) as s:
        project = s.create_project("empty-map", "classification", ["a", "b"])
        add_texts(s, project, ["one text", "another text"])
    at = start("pages/explore.py")
    assert any("No map yet" in i.value for i in at.info)
    at.button(key=state.EXPLORE_BUILD).click().run()
    from workbench import jobs

    with Store(db) as s:
        job = s.latest_job(s.get_project("empty-map"), explore.JOB_KIND)
        assert jobs.wait_for(s, job["id"], timeout=120)["status"] == "done"
    at.run()
    assert not at.exception and at.get("vega_lite_chart")


def test_browse_shows_only_a_selection_from_the_map_until_cleared(db, mapped):
    ids, _map_id = mapped
    at = start("pages/browse.py")
    at.session_state[state.BROWSE_SELECTION] = ids[:3]
    at.run()
    assert any("Showing the 3 records selected on the Explore map" in i.value for i in at.info)
    assert any(c.value.startswith("3 records") for c in at.caption)
    at.button(key=state.BROWSE_SELECTION_CLEAR).click().run()
    assert any(c.value.startswith(f"{len(ids)} records") for c in at.caption)
