"""End-to-end: a box selection dragged on the Explore map in real Chromium, then a bulk label of it."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services import explore
from tests.conftest import add_texts
from tests.e2e.test_browser import _choose_project, _idle, _shot
from tests.unit.services.explore.test_explore import TOPICS, planted
from workbench.store import Store

pytestmark = pytest.mark.e2e


def _bulk_rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT record_id, annotator, kind, value, source, bulk_id FROM annotations"
                            " WHERE source = 'bulk' ORDER BY id").fetchall()
    finally:
        conn.close()


def test_select_a_region_of_the_map_and_bulk_label_it(browser_page, start_app, e2e_env, tmp_path):
    db = Path(e2e_env["WORKBENCH_DB"])
    with Store(db) as store:
        project = store.create_project("e2e-topics", "classification", list(TOPICS))
        texts, topics = planted()
        add_texts(store, project, texts)
        explore.build_map(store, project)
    url = start_app()
    page = browser_page
    page.goto(url)
    _idle(page)
    _choose_project(page, "e2e-topics")
    page.goto(url + "/explore")
    _idle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first
    chart.wait_for()
    time.sleep(1.0)  # vega draws after mounting
    box = chart.bounding_box()
    # drag a box over the left half of the map
    page.mouse.move(box["x"] + 4, box["y"] + 4)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] - 4, steps=12)
    page.mouse.up()
    heading = page.get_by_role("heading", name=re.compile(r"^Selection: [\d,]+ records$"))
    heading.wait_for(timeout=20_000)
    selected = int(re.search(r"([\d,]+)", heading.inner_text()).group(1).replace(",", ""))
    assert 0 < selected < len(texts)
    _shot(page, tmp_path, "explore-selection")
    page.get_by_role("button", name="Bulk label…").click()
    page.get_by_text(f"Label all {selected:,} selected records").click()
    page.get_by_role("button", name="Bulk label", exact=True).click()
    expect(page.get_by_text(f"Labelled {selected:,} records")).to_be_visible(timeout=20_000)
    rows = _bulk_rows(db)
    assert len(rows) == selected and len({r[0] for r in rows}) == selected
    assert {(r[1], r[2], r[3], r[4]) for r in rows} == {("local", "label", f'"{list(TOPICS)[0]}"', "bulk")}
    assert len({r[5] for r in rows}) == 1  # one bulk action
    _shot(page, tmp_path, "explore-bulk-labelled")
