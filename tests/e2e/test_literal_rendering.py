"""In a real browser: project names, label names, record ids and guidelines with Markdown and remote-image
payloads render literally, and the browser fetches nothing from the addresses they name."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from tests.conftest import add_texts
from workbench.store import Store


class _Tracker(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        _Tracker.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def tracker():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Tracker)
    _Tracker.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.e2e
def test_payloads_render_literally_and_fetch_nothing(start_app, browser_page, e2e_env, tracker):
    name = f"**P** ![n]({tracker}/name.png)"
    label = f"<img src={tracker}/label.png>"
    with Store(Path(e2e_env["WORKBENCH_DB"])) as s:
        project = s.create_project(name, "classification", [label, "neg"],
                                   guidelines=f"Read this. ![g]({tracker}/guide.png) <img src={tracker}/raw.png>")
        (rid,) = add_texts(s, project, ["a text"])
        s.execute("UPDATE records SET external_id = ? WHERE id = ?", (f"![i]({tracker}/id.png)", rid))
    url = start_app()
    page = browser_page
    page.goto(f"{url}/annotate?project={name}")
    page.get_by_text("a text").first.wait_for()
    page.get_by_text("Guidelines").first.click()
    page.wait_for_timeout(1500)
    body = page.inner_text("body")
    assert label in body, "the label name must show as literal text"
    assert f"![i]({tracker}/id.png)" in body
    page.goto(f"{url}/?project={name}")
    page.get_by_text("labels in order").first.wait_for()
    assert label in page.inner_text("body")
    page.wait_for_timeout(1000)
    assert _Tracker.hits == [], f"the browser fetched {_Tracker.hits}"
