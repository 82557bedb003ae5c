"""AppTest of the Audit page: review decisions become annotation rows; exclude leaves the curated export."""

from __future__ import annotations

import json

import pytest

from services import audit
from tests.conftest import add_texts
from tests.integration.test_audit_cli import FLIPPED, NEG, POS
from tests.ui.conftest import start
from workbench.io import export_project
from workbench.store import Store

EVIL = "<script>alert('x')</script> <b>bold</b> a wonderful, moving film"


@pytest.fixture
def audited(db):
    with Store(db) as s:
        project = s.create_project("films", "classification", ["pos", "neg"])
        texts = [EVIL] + POS[1:] + NEG
        refs = ["pos"] * len(POS) + ["neg"] * len(NEG)
        for i in FLIPPED:
            refs[i] = "neg" if refs[i] == "pos" else "pos"
        ids = add_texts(s, project, texts, refs)
        audit_id = audit.run_audit(s, project, audit.AuditConfig(source="reference", model="logreg"))
        first = audit.issues(s, audit_id, undecided_only=True, limit=1)[0]
    return ids, audit_id, first


def _rows(db):
    with Store(db) as s:
        return s.query("SELECT record_id, annotator, kind, value, audit_issue_id FROM annotations ORDER BY id")


def test_review_queue_relabel_by_key_and_exclude(db, audited, tmp_path):
    ids, audit_id, first = audited
    at = start("pages/audit.py", annotator="alice")
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Audited"] == str(len(ids)) and metrics["Reviewed"] == "0"
    # the most suspicious record is shown first, literally (no HTML injection)
    with Store(db) as s:
        assert at.text[0].value == s.get_record(first["record_id"]).text
    assert all("<script>" not in m.value for m in at.markdown)
    # every button names its key (the page's one key listener is exercised in tests/e2e/test_pages.py)
    assert at.button(key="audit.relabel.1").label == "neg &#40;2&#41;"
    assert at.button(key="audit.keep").label == "Keep (k)" and at.button(key="audit.exclude").label == "Exclude (x)"
    target = first["suggested"]
    at.button(key=f"audit.relabel.{['pos', 'neg'].index(target)}").click().run()
    rows = _rows(db)
    assert rows == [{"record_id": first["record_id"], "annotator": "alice", "kind": "relabel",
                     "value": json.dumps(target), "audit_issue_id": first["id"]}]
    assert {m.label: m.value for m in at.metric}["Reviewed"] == "1"
    with Store(db) as s:
        assert s.get_record(first["record_id"]).label == target


def test_exclude_leaves_curated_export_and_summary_charts(db, audited, tmp_path):
    ids, audit_id, first = audited
    with Store(db) as s:
        project = s.get_project("films")
        s.annotate(project, ids[1], "alice", "label", "pos")
        s.annotate(project, ids[1], "bob", "label", "neg")
    with Store(db) as s:  # put the injection text at the head of the queue
        s.execute("UPDATE audit_issues SET quality = -1, is_issue = 1 WHERE record_id = ?", (ids[0],))
    at = start("pages/audit.py", annotator="alice")
    assert not at.exception
    assert at.text[0].value == EVIL  # shown literally
    assert all("<script>" not in m.value for m in at.markdown)
    with Store(db) as s:
        first = audit.issues(s, audit_id, undecided_only=True, limit=1)[0]
    assert first["record_id"] == ids[0]
    assert len(at.get("vega_lite_chart")) >= 2  # issues per class, noise rates, confusion
    assert any(m.label == "Records with ≥ 2 annotators" and m.value == "1" for m in at.metric)
    at.button(key="audit.exclude").click().run()
    assert not at.exception
    last = _rows(db)[-1]
    assert last["kind"] == "exclude" and last["audit_issue_id"] == first["id"]
    with Store(db) as s:
        export_project(s, "films", tmp_path / "curated.jsonl", format="jsonl", source="curated")
        excluded_text = s.get_record(first["record_id"]).text
    exported = [json.loads(line) for line in (tmp_path / "curated.jsonl").read_text().splitlines()]
    assert len(exported) == len(ids) - 1
    assert excluded_text not in {r["text"] for r in exported}


def test_an_encoder_that_is_not_fetched_is_refused_before_any_job(db, audited, monkeypatch, tmp_path):
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "no-encoders")
    at = start("pages/audit.py", annotator="alice")
    assert at.selectbox(key="audit.encoder").value == audit.DEFAULT_ENCODER
    at.selectbox(key="audit.encoder").set_value("mpnet").run()
    at.button(key="audit.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("models fetch mpnet" in e.value for e in at.error), [e.value for e in at.error]
    with Store(db) as s:
        assert s.query("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 0
    # the same for an encoder the ensemble would add
    at.selectbox(key="audit.encoder").set_value("minilm").run()
    at.multiselect(key="audit.also_encoders").set_value(["mpnet"]).run()
    at.button(key="audit.run").click().run()
    assert any("models fetch mpnet" in e.value for e in at.error), [e.value for e in at.error]
    with Store(db) as s:
        assert s.query("SELECT COUNT(*) AS n FROM jobs")[0]["n"] == 0


def test_the_ensemble_box_starts_with_mpnet_only_when_it_is_fetched(db, audited, monkeypatch, tmp_path):
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "encoders")
    monkeypatch.setenv("WORKBENCH_STRONGER_ENCODER", "mpnet")  # the tests turn it off elsewhere (conftest)
    assert start("pages/audit.py", annotator="alice").multiselect(key="audit.also_encoders").value == []
    (tmp_path / "encoders" / "all-mpnet-base-v2").mkdir(parents=True)
    (tmp_path / "encoders" / "all-mpnet-base-v2" / "model.safetensors").write_bytes(b"")  # looks fetched
    assert start("pages/audit.py", annotator="alice").multiselect(key="audit.also_encoders").value == ["mpnet"]
