"""The one tokenizer: offsets, code points, and the units the UI and the NER model share."""

from __future__ import annotations

from pages.ui import ner_component as nc
from services.models.ner import word_tags
from workbench.text import join_words, spans_to_bio, tokenize, tokens_for

TEXT = "Alice flew to New-York, met @bob_99 at https://x.org/a?b=1 😀 <b>hi</b>"


def test_tokenize_offsets_point_into_the_original_text():
    tokens = tokenize(TEXT)
    assert [TEXT[s:e] for _, s, e in tokens] == [t for t, _, _ in tokens] == [
        "Alice", "flew", "to", "New-York", ",", "met", "@bob_99", "at", "https://x.org/a?b=1", "😀",
        "<", "b", ">", "hi", "<", "/", "b", ">",
    ]
    assert all(s < e for _, s, e in tokens)
    assert all(a[2] <= b[1] for a, b in zip(tokens, tokens[1:]))


def test_tokenize_counts_code_points_not_utf16_units():
    text = "😀😀 Paris"
    (s, e), = [(s, e) for tok, s, e in tokenize(text) if tok == "Paris"]
    assert (s, e) == (3, 8)  # JS would say 5-10 in UTF-16 units; everything here works in code points


def test_a_span_drawn_in_the_component_is_whole_model_tokens():
    # The component snaps selections to the tokens it is sent; those are the NER model's words.
    text = "Met Dr. Smith-Jones in Paris, France!"
    data = nc.component_data(text, [], ["person", "location"])
    assert data["tokens"] == [[s, e] for _, s, e in tokenize(text)]
    drawn = {"start": data["tokens"][3][0], "end": data["tokens"][3][1], "label": "person"}
    assert text[drawn["start"]:drawn["end"]] == "Smith-Jones"
    tags, misaligned = spans_to_bio(tokenize(text), [drawn])
    assert misaligned == 0
    assert word_tags(text, [drawn], ["person", "location"]) == tags == ["O", "O", "O", "B-person", "O", "O", "O",
                                                                         "O", "O"]


def test_tokens_for_keeps_stored_conll_words_only_when_they_rebuild_the_text():
    assert tokens_for("New York", ["New York"]) == [("New York", 0, 8)]
    assert tokens_for("a  b", ["a", "b"]) == tokenize("a  b")
    assert tokens_for(" x\ty ") == [("x", 1, 2), ("y", 3, 4)]
    assert join_words(["a", "bc"]) == ("a bc", [("a", 0, 1), ("bc", 2, 4)])
