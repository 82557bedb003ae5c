"""AppTest of sign-in, roles and the Review / Team pages (the real pages, a real database)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import streamlit.config as st_config
from streamlit.testing.v1 import AppTest

from pages.ui.state import DEMO_CHECKED, PROJECT, ROUTED, USER
from tests.conftest import add_texts
from tests.ui.conftest import APP, PASSWORD, sign_in, start
from workbench import accounts
from workbench.config import ProjectSettings
from workbench.store import Store


def _visit() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[DEMO_CHECKED] = True
    return at.run()


def _everything_shown(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "title", "info", "error", "success") for e in at.get(kind)]
    return " ".join(str(p) for p in parts)


@pytest.fixture
def team(db):
    with Store(db) as s:
        s.create_project("secret-films", "classification", ["pos", "neg"])
        project = s.create_project("team", "classification", ["pos", "neg"],
                                   settings=ProjectSettings(annotators_per_record=2))
        ids = add_texts(s, project, ["good film", "bad film", "odd film"])
        accounts.add_user(s, "root", PASSWORD, "admin")
        accounts.add_user(s, "alice", PASSWORD, "annotator", projects=["team"])
        accounts.add_user(s, "bob", PASSWORD, "annotator", projects=["team"])
        accounts.add_user(s, "rita", PASSWORD, "reviewer", projects=["team"])
    return ids


def test_a_visitor_sees_only_the_sign_in_form(db, team):
    at = _visit()
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.selectbox and not at.dataframe and not at.sidebar.button
    shown = _everything_shown(at)
    assert "secret-films" not in shown and "good film" not in shown
    assert len(at._registered_pages) == 1  # no page is routed but the sign-in page


def test_wrong_password_then_rate_limit(db, team):
    at = _visit()
    for _ in range(5):
        sign_in(at, "alice", "wrong-password")
        assert any("wrong user name or password" in html.unescape(e.value) for e in at.error)
    sign_in(at, "alice")  # the right password, too late
    assert any("too many failed sign-ins" in html.unescape(e.value) for e in at.error)
    assert [t.value for t in at.title] == ["Sign in"]


def test_an_annotator_sees_her_projects_and_no_admin_controls(db, team):
    at = start("pages/projects.py", annotator="alice")
    assert at.selectbox(key="sidebar.project").options == ["team"]
    assert not [e for e in at.expander if e.label in ("Create a project", "Import data")]
    assert not at.tabs and not at.get("file_uploader")
    routed = {Path(p["script_path"]).name for p in at._registered_pages.values()}
    assert routed == {"projects.py", "annotate.py", "browse.py"}
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not routed for her at all
        at.switch_page("pages/admin.py")


@pytest.mark.parametrize("page,title", [("pages/admin.py", "Team"), ("pages/review.py", "Review"),
                                        ("pages/audit.py", "Audit"), ("pages/active_learning.py", "Active learning"),
                                        ("pages/progress.py", "Progress")])
def test_a_page_run_directly_still_checks_the_role(db, team, page, title):
    """Even run without the router (a forged request), a page refuses a role that may not use it."""
    at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=60)
    at.session_state[ROUTED] = True
    at.session_state[USER] = accounts.User("alice", "alice", "annotator")
    at.session_state[PROJECT] = "team"
    at.run()
    assert title not in [t.value for t in at.title]
    assert any("may not" in html.unescape(e.value) for e in at.error)


def test_overlap_review_and_consensus_export(db, team, tmp_path):
    for who, keys in (("alice", ["annotate.label.0"] * 3), ("bob", ["annotate.label.0", "annotate.label.1",
                                                                    "annotate.label.0"])):
        at = start("pages/annotate.py", annotator=who)
        # people label independently: bob is never shown alice's label on the records she did
        assert not [c.value for c in at.caption if "label:" in c.value], who
        for key in keys:
            at.button(key=key).click().run()
        assert any("Nothing left in your queue" in s.value for s in at.success), who
    carol = start("pages/annotate.py", annotator="root")  # a third person: both labels are in
    assert any("Nothing left in your queue" in s.value for s in carol.success)
    at = start("pages/review.py", annotator="rita")
    assert at.title[0].value == "Review"
    assert "bad film" in [t.value for t in at.text]
    assert any(m.label == "Records with ≥ 2 annotators" and m.value == "3" for m in at.metric)
    at.button(key="review.label.1").click().run()  # rita: the final label is neg
    assert not at.exception
    with Store(db) as s:
        record = s.get_record(team[1])
        assert record.reviewed and record.label == "neg"
    from workbench import api

    out = tmp_path / "curated.jsonl"
    api.connect(db).export("team", out, format="jsonl", source="consensus")
    rows = {r["text"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert (rows["bad film"]["label"], rows["bad film"]["label_source"], rows["bad film"]["annotator"]) == (
        "neg", "review", "rita")
    assert rows["good film"]["agreement"] == 1.0


def test_the_team_page_adds_an_account(db, team):
    at = start("pages/admin.py", annotator="root")
    assert at.title[0].value == "Team"
    at.text_input(key="team.add.name").set_value("dora")
    at.text_input(key="team.add.password").set_value("dora-pass-1")
    at.selectbox(key="team.add.role").set_value("reviewer")
    at.multiselect(key="team.add.projects").set_value(["team"])
    next(b for b in at.button if b.label == "Add account").click().run()
    assert any("Created reviewer 'dora'" in html.unescape(s.value) for s in at.success)
    with Store(db) as s:
        row = accounts.users.get_user_row(s, "dora")
        assert row["role"] == "reviewer" and row["projects"] == ["team"]
        assert "dora-pass-1" not in s.user_row("dora")["password_hash"]


def test_local_mode_is_refused_off_loopback(db):
    old = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = _visit()
    finally:
        st_config.set_option("server.address", old)
    assert [t.value for t in at.title] == ["Not served"]
    assert any("user add NAME --role admin" in html.unescape(e.value) for e in at.error)


def test_sign_out(db, team):
    at = start("pages/annotate.py", annotator="alice")
    at.sidebar.button(key="sidebar.sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in"]
    with Store(db) as s:
        assert s.scalar("SELECT COUNT(*) FROM sessions") == 0
