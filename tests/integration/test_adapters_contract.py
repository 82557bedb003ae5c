"""One contract every model adapter passes: fit on tiny data -> predict_proba
shapes and label order -> save -> load -> same outputs. Plus learning sanity.

Training is kept tiny (16 examples, 1 epoch) so the whole file stays fast on a
2-core CPU; the real-model cases are marked ``slow`` (they still run in CI).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.evaluation import ner_metrics
from services.models import ADAPTERS, get_adapter, load_adapter
from services.models.ner import word_tags
from workbench.errors import NotFoundError, ValidationError
from workbench.text import bio_tags, bio_to_spans, tokenize
from workbench.types import validate_value

LABELS = ["pos", "neg", "neutral"]  # "neutral" never appears in training: still a column
POS = ["a wonderful, moving film", "great acting and a clever plot", "I loved every minute of it",
       "a joyful, funny delight", "brilliant and beautifully shot", "the best film of the year",
       "charming, warm and witty", "superb performances all round"]
NEG = ["a dull, boring mess", "terrible acting and a stupid plot", "I hated every minute of it",
       "a tedious, lifeless bore", "awful and badly shot", "the worst film of the year",
       "cold, clumsy and witless", "dreadful performances all round"]
TEXTS = POS + NEG
CLF_TARGETS = ["pos"] * 8 + ["neg"] * 8
ML_TARGETS = [["pos"], ["pos", "neutral"]] * 4 + [["neg"], []] * 4
UNSEEN = ["an absolute triumph", "a complete disaster", "the cinema was warm"]

NER_LABELS = ["person", "location"]
NER_TEXTS = ["Alice flew to Paris today", "Bob lives in Berlin", "we met Carol in Rome .",
             "nothing to see here", "Dave and Erin visited London", "Frank stayed home",
             "Grace moved to Madrid last year", "no names at all"] * 2
NER_TARGETS = []
for _t in NER_TEXTS:
    _spans = []
    for _name, _label in [("Alice", "person"), ("Bob", "person"), ("Carol", "person"), ("Dave", "person"),
                          ("Erin", "person"), ("Frank", "person"), ("Grace", "person"), ("Paris", "location"),
                          ("Berlin", "location"), ("Rome", "location"), ("London", "location"), ("Madrid", "location")]:
        if _name in _t:
            _spans.append({"start": _t.index(_name), "end": _t.index(_name) + len(_name), "label": _label})
    NER_TARGETS.append(sorted(_spans, key=lambda s: s["start"]))

TINY = {"epochs": 1, "batch_size": 8, "device": "cpu"}
CASES = [
    pytest.param("logreg", "classification", {}, id="logreg-classification"),
    pytest.param("logreg", "multilabel", {}, id="logreg-multilabel"),
    pytest.param("hybrid", "classification", {}, id="hybrid-classification"),
    pytest.param("hybrid", "multilabel", {}, id="hybrid-multilabel"),
    pytest.param("setfit", "classification", {**TINY, "num_iterations": 1}, id="setfit-classification",
                 marks=pytest.mark.slow),
    pytest.param("setfit", "multilabel", {**TINY, "num_iterations": 1, "max_steps": 1}, id="setfit-multilabel",
                 marks=pytest.mark.slow),
    pytest.param("transformer", "classification", TINY, id="transformer-classification", marks=pytest.mark.slow),
    pytest.param("transformer", "multilabel", {**TINY, "lora": True}, id="transformer-multilabel-lora",
                 marks=pytest.mark.slow),
]


def test_every_registered_adapter_has_a_contract_case():
    covered = {p.values[0] for p in CASES} | {"ner"}
    assert set(ADAPTERS) == covered


@pytest.mark.parametrize("name,task,config", CASES)
def test_classifier_contract(name, task, config, tmp_path):
    targets = CLF_TARGETS if task == "classification" else ML_TARGETS
    steps = []
    adapter = get_adapter(name, task, LABELS, **config).fit(TEXTS, targets,
                                                            progress=lambda f, message: steps.append((f, message)))
    assert adapter.name == name and adapter.task == task and list(adapter.labels) == LABELS
    fractions = [f for f, _ in steps]
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)  # progress reaches 100%, in order
    assert all(0.0 <= f <= 1.0 and isinstance(message, str) for f, message in steps)

    probs = adapter.predict_proba(UNSEEN)
    assert isinstance(probs, np.ndarray) and probs.shape == (3, 3) and probs.dtype == np.float32
    assert ((probs >= 0) & (probs <= 1)).all()
    if task == "classification":
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert adapter.predict_proba([]).shape == (0, 3)
    if task == "classification" and name in ("logreg", "hybrid", "setfit"):  # learning sanity on an easy set
        assert list(probs.argmax(axis=1)[:2]) == [0, 1]

    adapter.save(tmp_path / "v1")
    meta = json.loads((tmp_path / "v1" / "adapter.json").read_text())
    assert meta["adapter"] == name and meta["labels"] == LABELS and meta["config"] == adapter.config.to_dict()
    assert not list(tmp_path.rglob("*.pkl")) and not list(tmp_path.rglob("*.bin"))  # safetensors, never pickle
    assert list(tmp_path.rglob("*.safetensors"))

    loaded = load_adapter(name, tmp_path / "v1")
    assert list(loaded.labels) == LABELS and loaded.task == task
    np.testing.assert_allclose(loaded.predict_proba(UNSEEN), probs, atol=1e-5)


def test_logreg_learns_an_easy_set_and_puts_unseen_classes_at_zero():
    adapter = get_adapter("logreg", "classification", LABELS, C=10.0).fit(TEXTS, CLF_TARGETS)
    probs = adapter.predict_proba(UNSEEN[:2] + POS[:2] + NEG[:2])
    assert list(probs.argmax(axis=1)) == [0, 1, 0, 0, 1, 1]
    assert (probs[:, 2] == 0).all()  # "neutral" had no examples


def test_hybrid_mixes_its_vector_and_word_heads_and_words_decide_where_vectors_cannot(tmp_path):
    from services.models import ReadsWords, supports

    # the same sentence with a code word: the vectors barely differ, the words alone tell the class
    texts = [f"please review ticket {code} today" for code in ("zx41", "qv77")] * 6
    targets = ["pos", "neg"] * 6
    model = get_adapter("hybrid", "classification", LABELS).fit(texts, targets)
    assert supports(model, ReadsWords)
    X = model.embed(texts[:2])
    vectors = super(type(model), model).predict_proba_embeddings(X)
    words = model.word_head.predict_proba(model.vectorizer.transform(texts[:2]))
    w = model.vector_weight
    assert w < 0.5  # the default mix is chosen out of fold: here the words tell the classes apart
    assert np.allclose(model.predict_proba_mixed(texts[:2], X), w * vectors + (1 - w) * words, atol=1e-6)
    assert model.predict_proba(texts[:2]).argmax(axis=1).tolist() == [0, 1]
    with pytest.raises(ValidationError, match="also reads the words"):
        model.predict_proba_embeddings(X)
    # no word of two letters in any text: the vectors alone, saved and loaded without a word head
    symbols = get_adapter("hybrid", "classification", LABELS).fit(["a", "b", "c", "d"], ["pos", "neg"] * 2)
    assert symbols.word_head is None
    symbols.save(tmp_path / "m")
    assert load_adapter("hybrid", tmp_path / "m").word_head is None


def test_logreg_multilabel_learns_independent_columns():
    adapter = get_adapter("logreg", "multilabel", LABELS, C=10.0).fit(TEXTS, ML_TARGETS)
    probs = adapter.predict_proba(POS[:2] + NEG[:2] + UNSEEN[:2])
    assert list(probs[:, 0] > 0.5) == [True, True, False, False, True, False]  # "pos" column
    assert probs[2, 1] > 0.5 and probs[0, 1] < 0.5  # "neg" column: NEG[0] is tagged neg, POS[0] is not


def test_logreg_uses_the_store_cache(store):
    adapter = get_adapter("logreg", "classification", LABELS, store=store).fit(TEXTS, CLF_TARGETS)
    assert store.scalar("SELECT COUNT(*) FROM embeddings") == len(TEXTS)
    adapter.predict_proba(TEXTS[:3])
    assert store.scalar("SELECT COUNT(*) FROM embeddings") == len(TEXTS)


def test_a_model_saved_for_a_missing_gpu_still_loads_here(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    adapter = get_adapter("logreg", "classification", LABELS).fit(TEXTS, CLF_TARGETS)
    adapter.save(tmp_path)
    meta = json.loads((tmp_path / "adapter.json").read_text())
    meta["config"]["device"] = "cuda"  # as written by a training job on a GPU box
    (tmp_path / "adapter.json").write_text(json.dumps(meta))
    loaded = load_adapter("logreg", tmp_path)
    assert loaded.config.device == "auto"
    np.testing.assert_allclose(loaded.predict_proba(UNSEEN), adapter.predict_proba(UNSEEN), atol=1e-6)


@pytest.mark.parametrize("name,kwargs,match", [
    ("nope", {}, "unknown adapter 'nope'; valid: logreg, hybrid, ner, setfit, transformer"),
    ("logreg", {"bogus": 1}, "unknown LogRegConfig option"),
    ("transformer", {"epochs": 0}, "epochs must be a positive integer"),
    ("setfit", {"device": "gpu"}, "unknown device"),
    ("transformer", {"fp16": "yes"}, "fp16 must be true or false"),
])
def test_bad_names_and_configs_are_clear_errors(name, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        get_adapter(name, "classification", LABELS, **kwargs)


def test_task_support_and_target_checks():
    with pytest.raises(ValidationError, match="does not support task 'ner'"):
        get_adapter("logreg", "ner", LABELS)
    with pytest.raises(ValidationError, match="not one of the labels"):
        get_adapter("logreg", "classification", LABELS).fit(TEXTS[:2], ["pos", "meh"])
    with pytest.raises(ValidationError, match="must pair up"):
        get_adapter("logreg", "classification", LABELS).fit(TEXTS[:2], ["pos"])
    with pytest.raises(NotFoundError, match="not a saved model folder"):
        load_adapter("logreg", "/nonexistent/folder")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_linear_head_matches_sklearn_and_pads_unseen_columns(n_classes, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from services.models.common import LinearHead

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = rng.integers(0, n_classes, size=60) * 2  # columns 0, 2(, 4) of 6: the odd ones never occur
    head = LinearHead.fit(X, y, "classification", 6, class_weight=None)
    ref = LogisticRegression(max_iter=1000, random_state=0).fit(X, y).predict_proba(X)
    probs = head.predict_proba(X)
    np.testing.assert_allclose(probs[:, ::2][:, :n_classes], ref, atol=1e-4)
    assert (probs[:, 1::2] == 0).all()
    head.save(tmp_path / "h.safetensors")
    np.testing.assert_array_equal(LinearHead.load(tmp_path / "h.safetensors", "classification", 6).predict_proba(X), probs)


# -- NER ---------------------------------------------------------------


def test_ner_adapter_tags_the_tokenizer_units():
    text = "we met Carol Ann in New York."
    spans = [{"start": 7, "end": 16, "label": "person"}, {"start": 20, "end": 28, "label": "location"}]
    tags = word_tags(text, spans, NER_LABELS)
    assert tags == ["O", "O", "B-person", "I-person", "O", "B-location", "I-location", "O"]
    assert bio_to_spans(tokenize(text), tags) == spans
    assert validate_value("ner", NER_LABELS, bio_to_spans(tokenize(text), tags), text)
    with pytest.raises(ValidationError, match="not one of"):
        word_tags(text, [{"start": 0, "end": 2, "label": "org"}], NER_LABELS)


def test_ner_metrics_are_seqeval_entity_scores():
    texts = ["Alice flew to Paris", "Bob stayed"]
    gold = [[{"start": 0, "end": 5, "label": "person"}, {"start": 14, "end": 19, "label": "location"}],
            [{"start": 0, "end": 3, "label": "person"}]]
    pred = [[{"start": 0, "end": 5, "label": "person"}], [{"start": 0, "end": 3, "label": "location"}]]
    m = ner_metrics(texts, gold, pred, NER_LABELS)
    assert m["precision"] == pytest.approx(0.5) and m["recall"] == pytest.approx(1 / 3)
    assert m["per_class"]["person"]["support"] == 2


@pytest.mark.slow
def test_ner_contract(tmp_path):
    adapter = get_adapter("ner", "ner", NER_LABELS, epochs=1, batch_size=8, device="cpu", lr=1e-4, min_steps=0)
    adapter.fit(NER_TEXTS, NER_TARGETS)
    assert adapter.labels == bio_tags(NER_LABELS) and adapter.entity_labels == NER_LABELS
    texts = ["Alice went to Rome", "", "nobody here at all today"]
    probs = adapter.predict_proba(texts)
    assert [p.shape for p in probs] == [(4, 5), (0, 5), (5, 5)]
    for p in probs:
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    spans = adapter.predict_spans(texts)
    for text, value in zip(texts, spans):
        validate_value("ner", NER_LABELS, value, text)

    adapter.save(tmp_path / "ner")
    assert not list(tmp_path.rglob("*.pkl"))
    loaded = load_adapter("ner", tmp_path / "ner")
    assert loaded.labels == adapter.labels
    for a, b in zip(loaded.predict_proba(texts), probs):
        np.testing.assert_allclose(a, b, atol=1e-5)
