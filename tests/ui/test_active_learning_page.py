"""AppTest of the Active learning page: status, curves, hint, settings and Retrain now."""

from __future__ import annotations

import time

from services.training import JOB_KIND, start_training
from tests.conftest import add_texts
from tests.ui.conftest import start
from workbench.store import Store

PAGE = "pages/active_learning.py"
TEXTS = ["a wonderful film", "a dull mess", "great acting, loved it", "boring and far too long",
         "brilliant and moving", "awful script", "a joy to watch", "painfully unfunny"] * 2
REFS = ["pos", "neg"] * 8


def _project(db, *, trained: bool):
    with Store(db) as s:
        p = s.create_project("films", "classification", ["pos", "neg"])
        ids = add_texts(s, p, [f"{t} #{i}" for i, t in enumerate(TEXTS)], REFS)
        with s.atomic():  # the last four are the held-out evaluation set
            s.execute(f"UPDATE records SET split = 'test' WHERE id IN ({','.join('?' * 4)})", ids[-4:])
        s.add_round(p, "random", 20, {"accuracy": 0.6, "macro_f1": 0.55}, run="sim:random:logreg:seed0")
        s.add_round(p, "random", 40, {"accuracy": 0.7, "macro_f1": 0.66}, run="sim:random:logreg:seed0")
        s.add_round(p, "margin", 20, {"accuracy": 0.62, "macro_f1": 0.6}, run="sim:margin:logreg:seed0")
        if trained:
            for rid, ref in list(zip(ids, REFS))[:6]:
                s.annotate(p, rid, "alice", "label", ref)
            start_training(s, p, wait=True)
            s.annotate(p, ids[7], "alice", "label", REFS[7])
    return ids


def test_page_without_a_model_shows_curves_and_saves_settings(db):
    _project(db, trained=False)
    at = start(PAGE)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Model version"] == "none" and metrics["Labels since training"] == "0"
    assert len(at.get("vega_lite_chart")) == 1  # learning curve, one line per run
    assert any("Not enough rounds" in m.value for m in at.info)
    form_boxes = [b for b in at.selectbox if b.label == "Query strategy"]
    form_boxes[0].set_value("entropy")
    [n for n in at.number_input if n.label.startswith("Retrain every")][0].set_value(5)
    encoder_box = next(b for b in at.selectbox if b.label == "Encoder (sentence vectors)")
    assert encoder_box.options == ["minilm", "minilm-int8", "mpnet"] and encoder_box.value == "minilm"
    encoder_box.set_value("minilm-int8")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    with Store(db) as s:
        settings = s.get_project("films").settings
    assert settings.strategy == "entropy" and settings.retrain_every == 5 and settings.encoder == "minilm-int8"
    assert any("Settings saved" in m.value for m in at.success)


def test_an_encoder_that_is_not_fetched_is_refused_when_saved(db, monkeypatch, tmp_path):
    from workbench import config

    monkeypatch.setattr(config, "ENCODERS_DIR", tmp_path / "no-encoders")
    _project(db, trained=False)
    at = start(PAGE)
    next(b for b in at.selectbox if b.label == "Encoder (sentence vectors)").set_value("mpnet")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    assert any("models fetch mpnet" in m.value for m in at.error), [m.value for m in at.error]
    with Store(db) as s:
        assert s.get_project("films").settings.encoder == "minilm"


def test_page_with_a_model_shows_version_staleness_per_class_and_retrains(db):
    _project(db, trained=True)
    at = start(PAGE)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Model version"].endswith("hybrid") and metrics["Trained on"] == "6 labels"
    assert metrics["Labels since training"] == "1"
    table = at.dataframe[0].value
    assert list(table["label"]) == ["pos", "neg"] and list(table["support"]) == [2, 2]
    assert metrics["accuracy"] != "-"
    at.button(key="al.retrain").click().run()
    assert not at.exception
    assert any("Training job" in m.value for m in at.success)
    with Store(db) as s:
        p = s.get_project("films")
        deadline = time.time() + 60
        while s.latest_job(p, JOB_KIND)["status"] in ("queued", "running") and time.time() < deadline:
            time.sleep(0.2)
        assert s.latest_job(p, JOB_KIND)["status"] == "done"
        assert len(s.model_versions(p)) == 2


def test_a_failed_retrain_and_the_cold_start_are_explained_on_both_pages(db):
    from tests.conftest import add_texts
    from tests.ui.conftest import start
    from workbench.store import Store

    with Store(db) as s:
        project = s.create_project("films", "classification", ["fresh", "rotten"])
        ids = add_texts(s, project, ["great", "awful", "fine"])
        s.annotate(project, ids[0], "alice", "label", "fresh")
        job = s.create_job(project, "train", {})
        s.fail_job(job, "ValidationError: adapter 'logreg' does not support task 'ner'")
    at = start("pages/active_learning.py", annotator="alice")
    errors = " ".join(e.value for e in at.error)
    assert "failed" in errors and "tried again with the next label" in errors
    assert any("rotten has 0 labels" in i.value for i in at.info)
    at.switch_page("pages/annotate.py").run()
    assert any("last automatic retrain failed" in w.value and "does not support" in w.value for w in at.warning)


def test_hidden_zero_shot_suggestions_are_explained(db):
    from services.training import train_round
    from tests.conftest import add_texts
    from tests.ui.conftest import start
    from workbench.store import Store

    with Store(db) as s:
        project = s.create_project("films", "classification", ["fresh", "rotten"])
        ids = add_texts(s, project, ["great", "awful", "fine"])
        s.annotate(project, ids[0], "alice", "label", "fresh")
        train_round(s, project)
    at = start("pages/active_learning.py", annotator="alice")
    assert any("Its suggestions are hidden" in i.value and "at least 4 labels" in i.value for i in at.info)
    at.switch_page("pages/annotate.py").run()
    assert not any("Model suggests" in c.value for c in at.caption)


def test_ner_projects_choose_how_sentence_uncertainty_is_scored(db):
    with Store(db) as s:
        p = s.create_project("tweets", "ner", ["PER", "LOC"])
        add_texts(s, p, ["alice went to paris", "bob stayed home"])
    at = start(PAGE)
    box = next(b for b in at.selectbox if b.label.startswith("NER: sentence uncertainty"))
    assert box.options == ["max - the sentence's least sure token (margin)",
                           "mean - token margin uncertainty averaged over the sentence",
                           "span_entropy - mean tag entropy over the tokens that may be entities"]
    box.set_value("span_entropy")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    with Store(db) as s:
        assert s.get_project("tweets").settings.ner_uncertainty == "span_entropy"


def test_classification_projects_have_no_ner_setting(db):
    _project(db, trained=False)
    at = start(PAGE)
    assert not [b for b in at.selectbox if b.label.startswith("NER:")]
