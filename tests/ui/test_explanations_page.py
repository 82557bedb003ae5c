"""AppTest of "Why this suggestion?": every model explains itself, and annotators never see reference labels."""

from __future__ import annotations

import html

import pytest

from pages.ui import state
from services import audit, training
from services.models import get_adapter
from tests.conftest import add_texts
from tests.integration.test_adapters_contract import NER_LABELS, NER_TARGETS, NER_TEXTS
from tests.integration.test_audit_cli import NEG, POS
from tests.ui.conftest import start
from workbench.config import ProjectSettings
from workbench.store import Store


def _page_text(at) -> str:
    return html.unescape(" ".join(e.value for e in [*at.caption, *at.markdown, *at.warning, *at.info]))


@pytest.fixture
def audited(db):
    """Reference labels audited, a trained model, nothing labelled by the annotator on screen."""
    with Store(db) as s:
        project = s.create_project("films", "classification", ["pos", "neg"])
        ids = add_texts(s, project, POS + NEG, ["pos"] * len(POS) + ["neg"] * len(NEG))
        for i in (1, 2, 3, 4, 5, 20, 21, 22, 23, 24):
            s.annotate(project, ids[i], "bob", "label", "pos" if i < len(POS) else "neg")
        training.train_round(s, project, adapter="logreg")
        audit.run_audit(s, project, audit.AuditConfig(source="reference", model="logreg"))
    return ids


def test_annotators_never_see_the_reference_audit_unless_the_project_allows_it(db, audited):
    at = start("pages/annotate.py", annotator="ann", role="annotator", projects=("films",))
    assert not at.exception, [e.value for e in at.exception]
    shown = _page_text(at)
    assert "Model suggests" in shown  # the model's own suggestion is there
    assert "Audit label quality" not in shown and "Out-of-fold" not in shown and "Audit flag" not in shown
    with Store(db) as s:
        project = s.get_project("films")
        s.update_project(project, settings=ProjectSettings.from_dict({**project.settings.to_dict(),
                                                                      "show_reference": True}))
    at.run()
    shown = _page_text(at)
    assert "Out-of-fold probabilities" in shown and ("Audit label quality" in shown or "Audit flag" in shown)


def test_the_cold_start_model_explains_itself_by_label_name_similarity(db):
    with Store(db) as s:
        project = s.create_project("food", "classification", ["sports", "cooking"])
        ids = add_texts(s, project, ["I baked bread with butter and flour", "the striker scored", "soup recipe"])
        s.annotate(project, ids[1], "alice", "label", "sports")
        result = training.train_round(s, project)
        assert result["cold_start"]
    at = start("pages/annotate.py", annotator="alice")
    record_id = at.session_state[state.ANNOTATE_CURRENT]["record_id"]
    at.toggle(key=state.page_key(state.EXPLAIN_WORDS, record_id)).set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _page_text(at)
    assert "Similarity of the text to each label name" in shown and "Words for and against" in shown
    assert "no saved weights" not in shown


def test_ner_suggestions_show_token_probabilities_and_similar_labelled_spans(db, tmp_path):
    adapter = get_adapter("ner", "ner", NER_LABELS, epochs=3, batch_size=8, device="cpu", lr=5e-4, min_steps=0)
    adapter.fit(NER_TEXTS, NER_TARGETS)
    adapter.save(tmp_path / "ner-model")
    with Store(db) as s:
        project = s.create_project("places", "ner", NER_LABELS)
        ids = add_texts(s, project, ["Alice flew to Rome", "Bob lives in Berlin"])
        s.annotate(project, ids[1], "alice", "label", [{"start": 0, "end": 3, "label": "person"},
                                                       {"start": 13, "end": 19, "label": "location"}])
        version = s.add_model_version(project, "ner", NER_LABELS, path=str(tmp_path / "ner-model"))
        s.write_suggestions(project, version, [(ids[0], adapter.predict_spans(["Alice flew to Rome"])[0], 0.9, 0.5,
                                                None)])
        s.activate_model_version(project, version)
    at = start("pages/annotate.py", annotator="alice")
    at.toggle(key=state.page_key(state.EXPLAIN_WORDS, ids[0])).set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = _page_text(at)
    assert "Predicted entities" in shown or "finds no entity" in shown
    tables = [d.value for d in at.dataframe]
    assert any("labelled span" in t.columns for t in tables) or "finds no entity" in shown
