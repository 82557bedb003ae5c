"""AppTest of the Argilla page: connect, link, push and pull with the real server; errors shown plainly."""

from __future__ import annotations

import html
import socket

import pytest

from pages.ui import state
from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench import jobs
from workbench.store import Store


@pytest.fixture
def project(db):
    with Store(db) as s:
        p = s.create_project("page-films", "classification", ["pos", "neg"])
        add_texts(s, p, ["a wonderful film", "a dull film", "it was fine <b>ok</b>"])
    return p


def _texts(at) -> str:
    return html.unescape(" ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.error, *at.success,
                                                         *at.warning, *at.info]))


def _connect(at, url: str, key: str):
    at.text_input(key=state.ARGILLA_URL).set_value(url)
    at.text_input(key=state.ARGILLA_KEY).set_value(key)
    return next(b for b in at.button if b.label == "Save and test").click().run()


def test_annotators_do_not_get_the_page(db, project):
    at = start(annotator="bob", role="annotator", projects=("page-films",))
    with pytest.raises(ValueError):
        at.switch_page("pages/argilla.py").run()


def test_unreachable_server_is_an_error_message_not_a_traceback(db, project):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    at = start("pages/argilla.py")
    at = _connect(at, url, "some-key-1234")
    assert not at.exception
    assert f"cannot reach the Argilla server at {url}" in _texts(at)


@pytest.mark.argilla
@pytest.mark.slow
def test_connect_link_push_pull_from_the_page(db, project, argilla_server, argilla_people, monkeypatch):
    monkeypatch.delenv("ARGILLA_API_URL", raising=False)
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)
    at = start("pages/argilla.py")
    at = _connect(at, argilla_server.url, argilla_server.api_key)
    assert not at.exception, [e.value for e in at.exception]
    assert "Connected to" in _texts(at)
    assert argilla_server.api_key not in _texts(at)  # never shown back in full
    assert at.text_input(key=state.ARGILLA_KEY).value in ("", None)
    at.text_input(key=state.ARGILLA_DATASET).set_value("page-films-ui")
    at = next(b for b in at.button if b.label == "Link project").click().run()
    assert "Linked to dataset 'page-films-ui'" in _texts(at)
    at.checkbox(key=state.ARGILLA_VECTORS).uncheck()
    at = at.button(key=state.ARGILLA_PUSH).click().run()
    with Store(db) as s:
        p = s.get_project("page-films")
        pushed = jobs.wait_for(s, s.latest_job(p, "argilla_push")["id"], timeout=120)
        assert pushed["status"] == "done", pushed["error"]
        first = s.pushed_ids(p)[0]
    at.run()
    assert "Pushed 3 records (3 new" in _texts(at)
    argilla_people.respond("ann1", "page-films-ui", str(first), "neg")
    at = at.button(key=state.ARGILLA_PULL).click().run()
    with Store(db) as s:
        p = s.get_project("page-films")
        jobs.wait_for(s, s.latest_job(p, "argilla_pull")["id"], timeout=120)
        assert s.get_record(first).label == "neg"
    at.run()
    assert "Pulled 1 labels" in _texts(at)
    assert {m.label: m.value for m in at.metric}["Responded"] == "1"


def test_a_broken_settings_file_is_named_and_the_page_still_works(db, project, monkeypatch):
    from services.argilla import connection

    monkeypatch.delenv("ARGILLA_API_URL", raising=False)
    monkeypatch.delenv("ARGILLA_API_KEY", raising=False)
    connection.settings_file(db).write_text("{broken")
    at = start("pages/argilla.py")
    assert not at.exception
    assert "not a valid Argilla settings file" in _texts(at)
    assert at.text_input(key=state.ARGILLA_URL) is not None
