"""The one CoNLL parser and the one spans <-> BIO conversion."""

from __future__ import annotations

import pytest

from workbench.errors import DataFileError
from workbench.text import (
    bio_tags,
    bio_to_spans,
    entity_types,
    join_words,
    parse_conll,
    spans_to_bio,
    tokenize,
    write_conll,
)

NER_TXT = "Alice\tB-person\nflew\tO\nto\tO\nNew\tB-geo-loc\nYork\tI-geo-loc\n\n-DOCSTART-\tO\n\nnothing\tO\nhere\tO\n"


def _lines(text):
    return enumerate(text.splitlines(), start=1)


def test_parse_conll_sentences_first_lines_and_round_trip():
    sentences = list(parse_conll(_lines(NER_TXT), "ner.txt"))
    assert sentences == [(1, ["Alice", "flew", "to", "New", "York"], ["B-person", "O", "O", "B-geo-loc", "I-geo-loc"],
                          None), (9, ["nothing", "here"], ["O", "O"], None)]
    written = write_conll((s.words, s.tags) for s in sentences)
    assert written == "Alice\tB-person\nflew\tO\nto\tO\nNew\tB-geo-loc\nYork\tI-geo-loc\n\nnothing\tO\nhere\tO\n\n"
    assert [(s.words, s.tags) for s in parse_conll(_lines(written), "x")] == [(s.words, s.tags) for s in sentences]
    assert entity_types(s.tags for s in sentences) == ["geo-loc", "person"]


def test_parse_conll_takes_the_first_and_last_columns():
    assert list(parse_conll(_lines("EU NNP B-ORG\nrejects VBZ O\n"), "x")) == [(1, ["EU", "rejects"], ["B-ORG", "O"], None)]


@pytest.mark.parametrize("line,problem", [("Alice\tperson", "is not BIO"), ("Alice", "expected 'token<TAB>tag'"),
                                          ("Alice\tB-person\textra", "is not BIO")])
def test_parse_conll_names_the_bad_line(line, problem):
    with pytest.raises(DataFileError, match=rf"ner.txt, line 2: .*{problem}"):
        list(parse_conll(_lines(f"x\tO\n{line}\n"), "ner.txt"))


def test_parse_conll_refuses_an_empty_file():
    with pytest.raises(DataFileError, match="empty"):
        list(parse_conll(_lines("\n\n"), "e.conll"))


@pytest.mark.parametrize("tags,expected", [
    (["B-per", "I-per", "O", "B-loc"], [(0, 9, "per"), (13, 17, "loc")]),
    (["I-per", "I-loc", "O", "O"], [(0, 3, "per"), (4, 9, "loc")]),      # IOB1: a stray I- starts an entity
    (["B-per", "B-per", "O", "O"], [(0, 3, "per"), (4, 9, "per")]),
])
def test_bio_to_spans(tags, expected):
    text, tokens = join_words(["Ann", "Smith", "in", "Rome"])
    assert text == "Ann Smith in Rome"
    assert [(s["start"], s["end"], s["label"]) for s in bio_to_spans(tokens, tags)] == expected


def test_spans_to_bio_inverts_bio_to_spans_and_counts_misaligned_spans():
    text, tokens = join_words(["Ann", "Smith", "in", "Rome"])
    tags = ["B-per", "I-per", "O", "B-loc"]
    assert spans_to_bio(tokenize(text), bio_to_spans(tokens, tags)) == (tags, 0)
    # a span ending inside a token tags the token whole and is reported
    assert spans_to_bio(tokenize(text), [{"start": 0, "end": 2, "label": "per"}]) == (["B-per", "O", "O", "O"], 1)
    assert bio_tags(["a", "b"]) == ["O", "B-a", "I-a", "B-b", "I-b"]


def test_a_text_comment_carries_the_exact_text():
    lines = _lines('# text_json = "Ann  met\\tBo"\nAnn\tB-per\nmet\tO\nBo\tB-per\n\n#hashtag\tO\n')
    first, second = parse_conll(lines, "x")
    assert first.text == "Ann  met\tBo" and first.words == ["Ann", "met", "Bo"]
    assert second.words == ["#hashtag"] and second.text is None  # a "#" token is a word, not a comment
