"""Every page in a real browser: it loads without an error, its main action works by keyboard, and a
screenshot of it is saved (``artifacts/screens/``, gitignored; the README shows them)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from services import audit, training
from tests.conftest import add_texts
from tests.e2e.test_browser import _idle
from tests.integration.test_audit_cli import FLIPPED, NEG, POS
from workbench.store import Store

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "artifacts" / "screens"


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screens (the test run's artefact)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def seed_films(db: Path, *, train: bool = True, audited: bool = True) -> None:
    """The 36 film snippets with two wrong reference labels, six human labels, a model and an audit."""
    with Store(db) as s:
        project = s.create_project("films", "classification", ["pos", "neg"])
        refs = ["pos"] * len(POS) + ["neg"] * len(NEG)
        for i in FLIPPED:
            refs[i] = "neg" if refs[i] == "pos" else "pos"
        ids = add_texts(s, project, POS + NEG, refs)
        for i in (1, 2, 3, 20, 21, 23):
            s.annotate(project, ids[i], "local", "label", "pos" if i < len(POS) else "neg")
        if train:
            training.train_round(s, project, adapter="logreg")
        if audited:
            audit.run_audit(s, project, audit.AuditConfig(source="reference", model="logreg"))


def decisions(db: Path) -> list[dict]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT kind, value, audit_issue_id FROM annotations WHERE id > 6")]
    finally:
        con.close()


def wait_for(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    return check()


def test_label_keys_keep_working_after_explain_words(start_app, browser_page, e2e_env):
    db = Path(e2e_env["WORKBENCH_DB"])
    seed_films(db)
    url = start_app()
    page = browser_page
    page.goto(f"{url}/annotate?project=films")
    page.get_by_text("Why this suggestion?").click()
    toggle = page.get_by_text("Explain words")
    toggle.click()
    page.get_by_text("Words for and against").wait_for()
    _idle(page)
    page.keyboard.press("2")
    rows = wait_for(lambda: decisions(db))
    assert [(r["kind"], json.loads(r["value"])) for r in rows] == [("label", "neg")]
    shot(page, "annotate")

    page.goto(f"{url}/audit?project=films")
    page.get_by_text("Explain words").click()
    page.get_by_text("Words for and against").wait_for()
    _idle(page)
    page.keyboard.press("k")
    rows = wait_for(lambda: [r for r in decisions(db) if r["kind"] == "keep"])
    assert len(rows) == 1 and rows[0]["audit_issue_id"] is not None
    shot(page, "audit")
