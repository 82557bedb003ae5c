"""In a real browser: three presses of a label key 50 ms apart store three labels, on three records,
in press order (Streamlit alone merges button triggers that arrive during a rerun)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import add_texts
from tests.e2e.test_browser import Db
from workbench.store import Store

TEXTS = ["first review", "second review", "third review", "fourth review"]


@pytest.mark.e2e
def test_three_fast_presses_store_three_labels(start_app, browser_page, e2e_env):
    db = Path(e2e_env["WORKBENCH_DB"])
    with Store(db) as s:
        project = s.create_project("fast", "classification", ["pos", "neg"])
        add_texts(s, project, TEXTS)
    url = start_app()
    page = browser_page
    page.goto(f"{url}/annotate?project=fast")
    page.get_by_text(TEXTS[0]).first.wait_for()
    page.wait_for_timeout(500)
    for _ in range(3):
        page.keyboard.press("2")
        page.wait_for_timeout(50)
    rows = Db(db).wait_rows("fast", 3, timeout=60.0)  # order and count, not speed: a loaded CI box is slow
    page.wait_for_timeout(1500)  # nothing more may arrive
    rows = Db(db).rows("fast")
    assert [(r["kind"], json.loads(r["value"]), r["text"]) for r in rows] == [
        ("label", "neg", TEXTS[0]), ("label", "neg", TEXTS[1]), ("label", "neg", TEXTS[2])]
    page.get_by_text(TEXTS[3]).first.wait_for()
