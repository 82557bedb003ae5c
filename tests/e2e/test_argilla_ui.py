"""An annotator submits a label in Argilla's own web UI (real Chromium); `argilla pull` brings it back."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from services import argilla
from tests.conftest import add_texts

pytestmark = [pytest.mark.e2e, pytest.mark.argilla, pytest.mark.slow]
TEXT = "🎬 a wonderful film, I loved it 😀"


def test_a_label_submitted_in_the_argilla_web_ui_is_pulled(store, argilla_env, argilla_people, browser_page, tmp_path):
    server = argilla_env
    project = store.create_project(f"web-{uuid.uuid4().hex[:6]}", "classification", ["pos", "neg"])
    (rid,) = add_texts(store, project, [TEXT])
    with argilla.connect(store.path) as client:
        argilla.link(store, project, client)
        argilla.push(store, project, client, vectors=False)
    argilla_people.add("webann")
    dataset_id = argilla_people.dataset_id(project.name)

    page = browser_page
    # the UI asks for web fonts elsewhere; nothing outside the test server may be reached
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url) else route.abort())
    page.goto(server.url + "/sign-in", wait_until="domcontentloaded")
    page.get_by_label("Username").fill("webann")
    page.get_by_label("Password").fill("annotator-pass-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "sign-in" not in url)
    page.goto(f"{server.url}/dataset/{dataset_id}/annotation-mode", wait_until="domcontentloaded")
    page.get_by_text(TEXT).wait_for()
    page.get_by_role("button", name="neg").click()
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted").first.wait_for()
    page.screenshot(path=str(tmp_path / "argilla-web-ui.png"))

    with argilla.connect(store.path) as client:
        for _ in range(20):  # the submit request may land a moment after the click
            report = argilla.pull(store, project, client)
            if report.labels:
                break
            page.wait_for_timeout(250)
    assert report.labels == 1
    conn = sqlite3.connect(store.path)
    rows = conn.execute("SELECT record_id, annotator, kind, value, source FROM annotations").fetchall()
    conn.close()
    assert rows == [(rid, "webann", "label", '"neg"', "argilla")]
