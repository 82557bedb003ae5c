"""CoNLL/BIO files: ``token<TAB or spaces>tag`` per line, a blank line between sentences."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from workbench.errors import DataFileError

_TAG = re.compile(r"^(O|[BI]-.+)$")
#: a sentence's exact text, when its words joined by spaces are not it (double spaces, tabs, newlines,
#: punctuation split off): the line before its words, the text as a JSON string (like CoNLL-U's ``# text =``)
TEXT_COMMENT = "# text_json = "


class Sentence(NamedTuple):
    """One sentence of a CoNLL file: its first line, words, BIO tags and, when the file says so, exact text."""

    first_line: int
    words: list[str]
    tags: list[str]
    text: str | None = None


def is_bio_tag(tag: str) -> bool:
    """``O``, ``B-TYPE`` or ``I-TYPE``."""
    return bool(_TAG.match(tag))


def parse_conll(lines: Iterable[tuple[int, str]], path: str) -> Iterator[Sentence]:
    """Sentences of a CoNLL file.

    Parameters
    ----------
    lines : iterable of (int, str)
        1-based line numbers and decoded lines.
    path : str
        Named in errors.

    Yields
    ------
    Sentence
        One per sentence. ``-DOCSTART-`` lines are skipped; middle columns (POS,
        chunk) are ignored: the word is the first field, the tag the last. A
        :data:`TEXT_COMMENT` line gives the next sentence's exact text.

    Raises
    ------
    DataFileError
        A line without a tag, a tag that is not BIO, or a file with no sentence.
    """
    words: list[str] = []
    tags: list[str] = []
    first, seen, exact = 0, False, None
    for lineno, text in lines:
        stripped = text.strip()
        if not stripped or stripped.startswith("-DOCSTART-"):
            if words:
                seen = True
                yield Sentence(first, words, tags, exact)
                words, tags, exact = [], [], None
            continue
        if text.startswith(TEXT_COMMENT) and not words:
            exact = _exact_text(text[len(TEXT_COMMENT):], path, lineno)
            continue
        parts = [p.strip() for p in (stripped.split("\t") if "\t" in stripped else stripped.split()) if p.strip()]
        if len(parts) < 2:
            raise DataFileError(path, lineno, f"expected 'token<TAB>tag', found {stripped[:40]!r}; "
                                "put the BIO tag after the token and a blank line between sentences")
        if not is_bio_tag(parts[-1]):
            raise DataFileError(path, lineno, f"tag {parts[-1]!r} is not BIO; use O, B-TYPE or I-TYPE")
        if not words:
            first = lineno
        words.append(parts[0])
        tags.append(parts[-1])
    if words:
        seen = True
        yield Sentence(first, words, tags, exact)
    if not seen:
        raise DataFileError(path, None, "the file is empty; expected 'token<TAB>tag' lines")


def _exact_text(encoded: str, path: str, lineno: int) -> str:
    try:
        text = json.loads(encoded)
    except ValueError:
        text = None
    if not isinstance(text, str):
        raise DataFileError(path, lineno, f"{TEXT_COMMENT.strip()} must be followed by a JSON string")
    return text


def write_conll(sentences: Iterable[tuple[Sequence[str], Sequence[str]]]) -> str:
    """``word<TAB>tag`` lines, one blank line after each sentence of (words, tags)."""
    return "".join(sentence_lines(words, tags) for words, tags in sentences)


def sentence_lines(words: Sequence[str], tags: Sequence[str], text: str | None = None) -> str:
    """One sentence as CoNLL lines, led by a :data:`TEXT_COMMENT` when ``text`` is not the words joined by spaces."""
    comment = f"{TEXT_COMMENT}{json.dumps(text, ensure_ascii=False)}\n" if text is not None and text != " ".join(words) \
        else ""
    return comment + "".join(f"{w}\t{t}\n" for w, t in zip(words, tags)) + "\n"
