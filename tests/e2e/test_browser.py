"""End-to-end: `streamlit run app.py` driven by headless Chromium through Playwright.

In local single-user mode (no accounts, loopback) the annotator is the local admin: they pick the
project in the sidebar, label
three classification records with the keyboard (``1``, ``2``, ``z``, ``1``) and
then marks one NER span by dragging the mouse over a word and pressing a label
key. After each step the test reads the SQLite file the app writes, so it checks
exactly which annotation rows the keys produced. Screenshots go to
``<tmp_path>/screens``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from workbench.store import NewRecord, Store
from workbench.types import text_hash

pytestmark = pytest.mark.e2e

ANNOTATOR = "local"  # single-user mode: the local admin
CLF_TEXTS = ["The plot was a delight from start to end", "Dull, slow and far too long",
             "Shot in Lisbon in <b>2019</b>"]
# The emoji makes code-point offsets (Python) differ from UTF-16 offsets (JavaScript).
NER_TEXT = "Alice \U0001F600 flew to Paris on <script>alert(1)</script> with Bob"


def _at(word: str, label: str) -> dict:
    start = NER_TEXT.index(word)
    return {"start": start, "end": start + len(word), "label": label}


# The model suggests Alice (right) and Paris as a person (clashes with the annotator's span).
NER_SUGGESTED = [_at("Alice", "person"), _at("Paris", "person")]
STEP_TIMEOUT = 20.0


def _seed(db: Path) -> None:
    """A classification and an NER project, created through the store API."""
    store = Store(db)
    try:
        clf = store.create_project("e2e-reviews", "classification", ["pos", "neg"])
        store.insert_records(clf.id, [NewRecord(uid=text_hash(t), text=t, external_id=f"r{i}")
                                      for i, t in enumerate(CLF_TEXTS)])
        ner = store.create_project("e2e-tweets", "ner", ["person", "location"])
        (record_id,) = store.insert_records(ner.id, [NewRecord(uid=text_hash(NER_TEXT), text=NER_TEXT,
                                                               external_id="t0")])
        version = store.add_model_version(ner, "e2e-fixed", ["person", "location"])
        store.write_suggestions(ner, version, [(record_id, NER_SUGGESTED, 0.9, 0.5, None)])
        store.activate_model_version(ner, version)
    finally:
        store.close()


class Db:
    """Read-only look at the app's database (a fresh connection per query sees its commits)."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self, project: str) -> list[dict]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(
                "SELECT a.id, a.kind, a.annotator, a.value, a.target_id, r.text FROM annotations a"
                " JOIN records r ON r.id = a.record_id JOIN projects p ON p.id = a.project_id"
                " WHERE p.name = ? ORDER BY a.id", (project,))]
        finally:
            con.close()

    def wait_rows(self, project: str, n: int, timeout: float = STEP_TIMEOUT) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(project)
            if len(rows) >= n or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)


def _idle(page) -> None:
    """Wait until the page's script has finished drawing it.

    A server's first request runs the page twice (``loaders.require_router``): the first run draws nothing
    and the app is "notRunning" for a moment before the routed run starts. A click in that gap can land
    while the real page is still being drawn (CI once lost an "Explain words" click so), so wait for the
    routed page's title (every page has one) before waiting for the script to stop.
    """
    page.locator('[data-testid="stMain"] h1').first.wait_for(state="attached")
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def _shot(page, tmp_path: Path, name: str) -> None:
    screens = tmp_path / "screens"
    screens.mkdir(exist_ok=True)
    page.screenshot(path=str(screens / f"{name}.png"), full_page=True)


def _record_text(page) -> str:
    """The classification record on screen (the page shows it with st.text, inside main)."""
    texts = page.locator('[data-testid="stMain"] [data-testid="stText"]')
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        for i in range(texts.count()):
            try:  # a rerun may remove the element between count() and reading it: look again
                shown = texts.nth(i).inner_text(timeout=500).strip()
            except PlaywrightError:
                break
            if shown in CLF_TEXTS:
                return shown
        time.sleep(0.1)
    raise AssertionError("no classification record on the Annotate page")


def _choose_project(page, name: str) -> None:
    combo = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Project")
    combo.click()
    page.get_by_role("option", name=name, exact=True).click()
    expect(combo).to_have_value(name)
    _idle(page)


def _press_and_wait(page, db: Db, key: str, n_rows: int, before: str) -> list[dict]:
    """Press a page shortcut, wait for its annotation row and for the next record on screen."""
    # Shortcuts exist once the buttons are mounted (their code loads lazily: skeletons first).
    for name in ("pos", "neg", "Undo"):
        page.locator('[data-testid="stMain"] [data-testid="stButton"] button', has_text=name).first.wait_for()
    page.keyboard.press(key)
    rows = db.wait_rows("e2e-reviews", n_rows)
    assert len(rows) == n_rows, f"after {key!r}: expected {n_rows} annotation rows, found {rows}"
    deadline = time.monotonic() + STEP_TIMEOUT
    while _record_text(page) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    _idle(page)
    return rows


def test_keyboard_labelling_and_ner_span_in_a_real_browser(browser_page, start_app, e2e_env, tmp_path):
    started = time.monotonic()
    db_file = Path(e2e_env["WORKBENCH_DB"])
    _seed(db_file)
    db = Db(db_file)
    url = start_app()
    page = browser_page
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    # -- sidebar: single-user mode and the project ---------------------------------------
    page.goto(url)
    _idle(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("Local single-user mode")
    _choose_project(page, "e2e-reviews")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Annotate").click()
    page.get_by_role("heading", name="Annotate").wait_for()
    # Page shortcuts ignore keys typed into inputs: start from the page body.
    page.get_by_role("heading", name="Annotate").click()
    _idle(page)
    _shot(page, tmp_path, "01-annotate-classification")

    # -- 1, 2, z, 1 -------------------------------------------------------------------------
    first = _record_text(page)
    _press_and_wait(page, db, "1", 1, first)
    second = _record_text(page)
    assert second != first
    _press_and_wait(page, db, "2", 2, second)
    _shot(page, tmp_path, "02-after-1-2")
    third = _record_text(page)
    _press_and_wait(page, db, "z", 3, third)
    back = _record_text(page)
    assert back == second, "undo brings back the undone record"
    rows = _press_and_wait(page, db, "1", 4, back)
    _shot(page, tmp_path, "03-after-z-1")

    assert [(r["kind"], r["annotator"], r["text"], r["value"] and json.loads(r["value"])) for r in rows] == [
        ("label", ANNOTATOR, first, "pos"),
        ("label", ANNOTATOR, second, "neg"),
        ("retract", ANNOTATOR, second, None),
        ("label", ANNOTATOR, second, "pos"),
    ]
    assert rows[2]["target_id"] == rows[1]["id"]
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        labels = dict(con.execute(
            "SELECT r.text, r.label FROM records r JOIN projects p ON p.id = r.project_id"
            " WHERE p.name = 'e2e-reviews' AND r.status = 'labelled'").fetchall())
    finally:
        con.close()
    assert {t: json.loads(v) for t, v in labels.items()} == {first: "pos", second: "pos"}

    # -- NER: drag over "Paris", press 2 (location) -------------------------------------
    _choose_project(page, "e2e-tweets")
    annotator = page.locator('[data-testid="ner-annotator"]')
    annotator.wait_for()
    # The dataset's markup is shown as text, never run or rendered.
    assert "<script>alert(1)</script>" in annotator.locator(".ner-text").inner_text()
    assert annotator.locator(".ner-suggested").count() == 2
    token = annotator.locator(".ner-tok", has_text="Paris")
    box = token.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=3)
    page.mouse.move(box["x"] + box["width"] - 2, y, steps=3)
    page.mouse.up()
    message = annotator.get_by_test_id("ner-message")
    assert "Paris" in message.inner_text()
    _shot(page, tmp_path, "04-ner-selected")
    page.keyboard.press("2")
    ner_rows = db.wait_rows("e2e-tweets", 1)
    assert [(r["kind"], r["annotator"], json.loads(r["value"])) for r in ner_rows] == [
        ("label", ANNOTATOR, [_at("Paris", "location")]),
    ]
    annotator.locator('.ner-span[data-label="location"]').wait_for()
    _idle(page)
    page.mouse.move(5, 5)  # off the span: hovering shows it struck through (click removes)
    _shot(page, tmp_path, "05-ner-span")
    assert annotator.locator(".ner-span").inner_text().startswith("Paris")

    # -- Enter accepts the suggestions that fit; the clashing one is refused --------------
    _ner_key(page, db, "Enter", [_at("Alice", "person"), _at("Paris", "location")])
    assert "Refused 1" in message.inner_text()
    # -- keyboard only: End puts the cursor on the last token ("Bob"), 1 labels it ---------
    _ner_key(page, db, "End", None)
    _ner_key(page, db, "1", [_at("Alice", "person"), _at("Paris", "location"), _at("Bob", "person")])
    # -- an overlapping span is refused with a visible message, nothing is stored ------------
    for key in ("Home", "Shift+ArrowRight", "Shift+ArrowRight", "2"):
        page.keyboard.press(key)
    expect(message).to_contain_text("Refused: overlaps")
    _shot(page, tmp_path, "06-ner-overlap-refused")
    # -- clicking a span removes it -----------------------------------------------------------
    annotator.locator('.ner-span[data-label="location"]').click()
    rows = db.wait_rows("e2e-tweets", 4)
    assert len(rows) == 4, "the refused overlap must not have been stored"
    assert json.loads(rows[-1]["value"]) == [_at("Alice", "person"), _at("Bob", "person")]
    expect(message).to_contain_text("Removed")
    # -- undo brings the span back, and the "Removed ..." message goes with it ------------------
    _idle(page)
    page.keyboard.press("z")
    rows = db.wait_rows("e2e-tweets", 5)
    assert rows[-1]["kind"] == "retract"
    annotator.locator('.ner-span[data-label="location"]').wait_for()
    expect(message).to_have_text("")
    _idle(page)
    assert not [e for e in console_errors if "BidiComponent" in e], console_errors
    assert time.monotonic() - started < 90, "the e2e test must stay under 90 s"


def _ner_key(page, db: Db, key: str, expected: list[dict] | None) -> None:
    """Press a key in the span annotator; when it should save, wait for exactly that new row."""
    before = len(db.rows("e2e-tweets"))
    page.keyboard.press(key)
    if expected is None:
        return
    rows = db.wait_rows("e2e-tweets", before + 1)
    assert len(rows) == before + 1, f"{key!r} stored nothing"
    assert json.loads(rows[-1]["value"]) == expected
    _idle(page)
