"""AppTest of the Annotate page: label, undo, skip, suggestion, multi-label, safe text, history."""

from __future__ import annotations

import html
import time

import pytest
from streamlit.testing.v1 import AppTest

from pages.ui.state import DEMO_CHECKED
from tests.conftest import add_texts
from tests.ui.conftest import APP, sign_in, start
from workbench.store import Store

TEXTS = ["<script>alert('x')</script> <b>great</b> film", "**bold** [link](http://x) awful", "it exists", "loved it"]


@pytest.fixture
def clf(db):
    with Store(db) as s:
        project = s.create_project("reviews", "classification", ["pos", "neg", "neutral"],
                                   guidelines="Label the **sentiment**.")
        ids = add_texts(s, project, TEXTS)
    return ids


def _rows(db):
    with Store(db) as s:
        return s.query("SELECT record_id, annotator, kind, value, target_id FROM annotations ORDER BY id")


def _shown(at) -> str:
    return at.text[0].value


def test_label_button_stores_exactly_one_annotation(db, clf):
    at = start("pages/annotate.py", annotator="alice")
    assert _shown(at) == TEXTS[0]  # shown literally, in an st.text element
    assert not any("<script>" in m.value for m in at.markdown)
    at.button(key="annotate.label.1").click().run()
    assert _rows(db) == [{"record_id": clf[0], "annotator": "alice", "kind": "label", "value": '"neg"',
                          "target_id": None}]
    assert _shown(at) == TEXTS[1]  # the next record, in import order
    assert "1 / 4 records done" in at.get("progress")[0].proto.text


def test_undo_and_skip(db, clf):
    at = start("pages/annotate.py", annotator="bob")
    at.button(key="annotate.label.0").click().run()
    at.button(key="annotate.undo").click().run()
    rows = _rows(db)
    assert [r["kind"] for r in rows] == ["label", "retract"] and rows[1]["target_id"] is not None
    assert _shown(at) == TEXTS[0]  # back on the undone record
    at.button(key="annotate.skip").click().run()
    assert _rows(db)[-1]["kind"] == "skip" and _shown(at) == TEXTS[1]
    with Store(db) as s:
        assert s.get_record(clf[0]).status == "skipped"


def _suggest_neutral(db, record_id: int) -> None:
    """An active model version that suggests 'neutral' (0.81) for ``record_id``."""
    with Store(db) as s:
        project = s.get_project("reviews")
        version = s.add_model_version(project, "logreg", project.labels)
        s.write_suggestions(project, version, [(record_id, "neutral", 0.81, 0.4, None)])
        s.activate_model_version(project, version)


def test_suggestion_preselected_and_accepted(db, clf):
    _suggest_neutral(db, clf[0])
    at = start("pages/annotate.py")
    assert at.button(key="annotate.label.2").proto.type == "primary"
    assert any("neutral" in c.value and "0.81" in c.value for c in at.caption)
    at.button(key="annotate.accept").click().run()
    assert _rows(db)[0]["value"] == '"neutral"'


def test_history_edit_reopens_a_record(db, clf):
    at = start("pages/annotate.py")
    at.button(key="annotate.label.0").click().run()
    at.button(key="annotate.label.0").click().run()
    first = _rows(db)[0]
    edit = [b for b in at.button if b.key and b.key.startswith("annotate.edit.")]
    assert len(edit) == 2
    at.button(key=f"annotate.edit.{1}").click().run()
    assert _shown(at) == TEXTS[0]
    at.button(key="annotate.label.2").click().run()
    with Store(db) as s:
        assert s.get_record(first["record_id"]).label == "neutral"
    assert len(_rows(db)) == 3  # appended, nothing rewritten


def test_local_mode_labels_as_the_local_admin_and_says_so(db, clf):
    at = start("pages/annotate.py", annotator=None)  # no accounts, served on loopback
    assert not at.text_input  # no name box: identity never comes from a text field
    assert any("Local single-user mode" in c.value for c in at.sidebar.caption)
    at.button(key="annotate.label.0").click().run()
    assert [r["annotator"] for r in _rows(db)] == ["local"]


def test_multilabel_toggles_and_submit(db):
    with Store(db) as s:
        project = s.create_project("topics", "multilabel", ["sport", "politics", "tech"])
        ids = add_texts(s, project, ["match report", "election tech"])
    at = start("pages/annotate.py")
    at.button(key="annotate.toggle.2").click().run()
    at.button(key="annotate.toggle.0").click().run()
    at.button(key="annotate.toggle.2").click().run()  # toggled off again
    at.button(key="annotate.toggle.0").click().run()  # and off
    at.button(key="annotate.toggle.1").click().run()
    at.button(key="annotate.toggle.2").click().run()
    assert at.button(key="annotate.toggle.1").proto.type == "primary"
    at.button(key="annotate.submit").click().run()
    rows = _rows(db)
    assert [(r["record_id"], r["annotator"], r["value"]) for r in rows] == [(ids[0], "alice", '["politics","tech"]')]
    assert _shown(at) == "election tech"


def test_recheck_share_option_saves_setting(db, clf):
    at = start("pages/annotate.py")
    at.slider(key="annotate.recheck.1").set_value(0.2).run()
    with Store(db) as s:
        assert s.get_project("reviews").settings.recheck_share == pytest.approx(0.2)


def test_ner_project_page_renders(db):
    with Store(db) as s:
        project = s.create_project("tweets", "ner", ["person", "location"])
        add_texts(s, project, ["Alice flew to Paris"])
    at = start("pages/annotate.py")
    assert not at.exception
    at.button(key="annotate.ner_next").click().run()
    rows = _rows(db)
    assert [(r["kind"], r["value"]) for r in rows] == [("label", "[]")]  # "no entities" is an answer


def test_recheck_items_are_mixed_in_and_linked_to_the_audit(db, clf):
    from workbench.config import ProjectSettings
    from workbench.store import now

    with Store(db) as s:
        project = s.get_project("reviews")
        s.annotate(project, clf[2], "lead", "label", "pos")
        s.update_project(project, settings=ProjectSettings(recheck_share=0.5))
        audit = s.execute("INSERT INTO audits (project_id, source, created_at) VALUES (?, 'annotations', ?)",
                          (project.id, now())).lastrowid
        issue = s.execute("INSERT INTO audit_issues (audit_id, project_id, record_id, issue_type, given, suggested,"
                          " quality, created_at) VALUES (?,?,?,?,?,?,?,?)",
                          (audit, project.id, clf[2], "label_issue", '"pos"', '"neutral"', 0.07, now())).lastrowid
    at = start("pages/annotate.py")
    assert _shown(at) == TEXTS[2] and "Re-check" in at.caption[1].value
    assert "0.07" in at.warning[0].value and "neutral" in at.warning[0].value
    at.button(key="annotate.label.2").click().run()
    last = _rows(db)[-1]
    assert (last["kind"], last["value"]) == ("relabel", '"neutral"')
    with Store(db) as s:
        assert s.scalar("SELECT audit_issue_id FROM annotations ORDER BY id DESC LIMIT 1") == issue
    assert _shown(at) == TEXTS[0]  # then back to new records


def test_labelling_starts_a_background_retrain_after_retrain_every_labels(db, clf):
    from workbench.config import ProjectSettings

    with Store(db) as s:
        project = s.get_project("reviews")
        s.update_project(project, settings=ProjectSettings(retrain_every=2))
    at = start("pages/annotate.py", annotator="alice")
    at.button(key="annotate.label.0").click().run()
    with Store(db) as s:
        assert s.latest_job(s.get_project("reviews"), "train") is None  # 1 label < retrain_every
    at.button(key="annotate.label.1").click().run()
    with Store(db) as s:
        project = s.get_project("reviews")
        job = s.latest_job(project, "train")
        assert job is not None  # started by the label action, not by a button
        deadline = time.time() + 120
        while s.job(job["id"])["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.2)
        assert s.job(job["id"])["status"] == "done", s.job(job["id"])["error"]
        project = s.get_project("reviews")
        assert project.active_model_version is not None
        # one label per class: a cold start, whose zero-shot suggestions cannot prove themselves on two
        # labels; the two unlabelled records are ranked by it (rows) but show no suggestion
        ranked = s.query("SELECT record_id FROM suggestions WHERE model_version_id = ?", (project.active_model_version,))
        assert sorted(r["record_id"] for r in ranked) == sorted(clf[2:])
        assert all(s.suggestion(project, rid) is None for rid in clf[2:])


def test_multilabel_enter_on_nothing_asks_and_zero_saves_none(db):
    with Store(db) as s:
        project = s.create_project("topics", "multilabel", ["sport", "politics"])
        ids = add_texts(s, project, ["weather today", "match report"])
    at = start("pages/annotate.py")
    at.button(key="annotate.submit").click().run()  # Enter with nothing selected: not an answer
    assert _rows(db) == [] and "Press 0 (None apply)" in html.unescape(at.warning[0].value)
    assert _shown(at) == "weather today"
    at.button(key="annotate.none").click().run()  # 0: the explicit "no label applies"
    assert [(r["record_id"], r["value"]) for r in _rows(db)] == [(ids[0], "[]")]
    assert _shown(at) == "match report"


def test_the_url_keeps_the_project_but_never_the_identity(db, clf):
    at = start("pages/annotate.py", annotator="alice")
    assert "annotator" not in at.query_params and at.query_params["project"] in ("reviews", ["reviews"])
    again = AppTest.from_file(APP, default_timeout=60)  # a new session with the same URL, no session cookie
    again.session_state[DEMO_CHECKED] = True
    again.query_params.update(annotator="alice", project="reviews")
    again.run()
    assert [t.value for t in again.title] == ["Sign in"] and not again.selectbox  # ?annotator= is ignored
    sign_in(again, "alice")
    assert again.selectbox(key="sidebar.project").value == "reviews"


def test_help_overlay_lists_every_key_including_letters_past_nine_labels(db):
    with Store(db) as s:
        project = s.create_project("many", "classification", [f"label{i}" for i in range(12)])
        add_texts(s, project, ["a text"])
    at = start("pages/annotate.py")
    labels = [at.button(key=f"annotate.label.{i}").label for i in range(12)]
    assert labels[8:11] == ["label8 (9)", "label9 (q)", "label10 (w)"]  # the 10th label has a key
    at.button(key="help.button.annotate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    shown = dict(zip(table["key"], table["does"]))
    assert shown["q"] == "label as label9" and shown["e"] == "label as label11"
    assert shown["s"] == "skip" and shown["?"] == "show this help"


def test_revisiting_marks_the_current_label_not_the_suggestion(db, clf):
    _suggest_neutral(db, clf[0])
    at = start("pages/annotate.py")
    at.button(key="annotate.label.0").click().run()  # labels the first record 'pos'; the model says 'neutral'
    edit = [b for b in at.button if b.key and b.key.startswith("annotate.edit.")]
    edit[0].click().run()
    assert _shown(at) == TEXTS[0]
    assert at.button(key="annotate.label.0").proto.type == "primary"  # the record's current label
    assert at.button(key="annotate.label.2").proto.type == "secondary"  # not the suggestion
