"""In a real browser, with accounts: sign-in, roles, a reload that keeps the session, two annotators on
the same records (annotators_per_record = 2), undo limited to one's own labels, and a reviewer's final
label carried by the curated (consensus) export."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import add_texts
from tests.e2e.test_browser import Db, _idle
from workbench import accounts, api
from workbench.config import ProjectSettings
from workbench.store import Store

pytestmark = pytest.mark.e2e
PASSWORD = "team-pass-1"
TEXTS = ["a warm and funny film", "two hours I will not get back"]
STEP = 30.0


def _sign_in(page, url: str, name: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("User name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    _idle(page)


def _sign_out(page) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def _open(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()
    page.get_by_role("heading", name=title).click()  # keys go to the page, not to a widget
    _idle(page)


def _press(page, db: Db, key: str, n_rows: int) -> list[dict]:
    page.locator('[data-testid="stMain"] [data-testid="stButton"] button', has_text="pos").first.wait_for()
    page.keyboard.press(key)
    rows = db.wait_rows("team", n_rows, timeout=STEP)
    assert len(rows) == n_rows, rows
    _idle(page)
    return rows


def _wait_text(page, text: str) -> None:
    page.locator('[data-testid="stMain"]').get_by_text(text, exact=True).first.wait_for(timeout=STEP * 1000)


def test_team_sign_in_overlap_review_and_export(start_app, browser_page, e2e_env, tmp_path):
    db_file = Path(e2e_env["WORKBENCH_DB"])
    with Store(db_file) as s:
        project = s.create_project("team", "classification", ["pos", "neg"],
                                   settings=ProjectSettings(annotators_per_record=2, retrain_every=0))
        add_texts(s, project, TEXTS)
        s.create_project("hidden-project", "classification", ["x", "y"])
        accounts.add_user(s, "alice", PASSWORD, "annotator", projects=["team"])
        accounts.add_user(s, "bob", PASSWORD, "annotator", projects=["team"])
        accounts.add_user(s, "rita", PASSWORD, "reviewer", projects=["team"])
    db = Db(db_file)
    url = start_app()
    page = browser_page

    # -- a visitor sees only the sign-in form; a wrong password is refused ------------------------
    page.goto(url)
    page.get_by_role("heading", name="Sign in").wait_for()
    body = page.locator("body").inner_text()
    assert "hidden-project" not in body and "team" not in body and TEXTS[0] not in body
    _sign_in(page, url, "alice", "not-her-password")
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("wrong user name or password")

    # -- alice labels with the keyboard, reloads, is still alice -----------------------------------
    _sign_in(page, url, "alice")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("Signed in as")
    expect(sidebar).to_contain_text("annotator")
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Team" not in nav and "Review" not in nav and "Audit" not in nav
    _open(page, "Annotate")
    _wait_text(page, TEXTS[0])
    rows = _press(page, db, "1", 1)
    page.reload()
    _idle(page)
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("alice")
    page.get_by_role("heading", name="Annotate").click()
    _wait_text(page, TEXTS[1])
    rows = _press(page, db, "1", 2)
    assert [(r["annotator"], r["text"], json.loads(r["value"])) for r in rows] == [
        ("alice", TEXTS[0], "pos"), ("alice", TEXTS[1], "pos")]

    # -- no admin controls for her, not even by URL -----------------------------------------------------
    page.goto(f"{url}/admin")
    _idle(page)
    dialog = page.get_by_role("dialog")
    if dialog.count():  # Streamlit says the page does not exist (for her it is not routed) and shows the main page
        expect(dialog).to_contain_text("not found")
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
    expect(page.get_by_role("heading", name="Team", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Projects", exact=True)).to_have_count(1)  # the default page
    _idle(page)  # the Projects page: no import, create or schema controls for her
    expect(page.get_by_text("Import data")).to_have_count(0)
    expect(page.get_by_text("Label schema")).to_have_count(0)
    expect(page.get_by_text("Create a project")).to_have_count(0)
    _sign_out(page)

    # -- bob: cannot undo alice's label; is served the same two records ------------------------------
    _sign_in(page, url, "bob")
    _open(page, "Annotate")
    _wait_text(page, TEXTS[0])
    page.keyboard.press("z")
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Nothing to undo")
    assert len(db.rows("team")) == 2
    _press(page, db, "1", 3)
    _wait_text(page, TEXTS[1])
    rows = _press(page, db, "2", 4)
    assert [(r["annotator"], r["text"]) for r in rows[2:]] == [("bob", TEXTS[0]), ("bob", TEXTS[1])]
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Nothing left in your queue")
    _sign_out(page)

    # -- rita reviews the disagreement; the curated export carries her label ----------------------------
    _sign_in(page, url, "rita")
    _open(page, "Review")
    _wait_text(page, TEXTS[1])
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("Records with ≥ 2 annotators")
    page.locator('[data-testid="stMain"] [data-testid="stButton"] button', has_text="Accept").first.wait_for()
    page.keyboard.press("2")  # 2 = neg, the final label
    deadline = time.monotonic() + STEP
    while len(db.rows("team")) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    rows = db.rows("team")
    assert (rows[-1]["kind"], rows[-1]["annotator"], json.loads(rows[-1]["value"])) == ("review", "rita", "neg")
    out = tmp_path / "curated.jsonl"
    api.connect(db_file).export("team", out, format="jsonl", source="consensus")
    exported = {r["text"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert (exported[TEXTS[1]]["label"], exported[TEXTS[1]]["label_source"]) == ("neg", "review")
    assert (exported[TEXTS[0]]["label"], exported[TEXTS[0]]["agreement"]) == ("pos", 1.0)
