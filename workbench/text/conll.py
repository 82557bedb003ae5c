"""CoNLL/BIO files: ``token<TAB or spaces>tag`` per line, a blank line between sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from workbench.errors import DataFileError

_TAG = re.compile(r"^(O|[BI]-.+)$")


def is_bio_tag(tag: str) -> bool:
    """``O``, ``B-TYPE`` or ``I-TYPE``."""
    return bool(_TAG.match(tag))


def parse_conll(lines: Iterable[tuple[int, str]], path: str) -> Iterator[tuple[int, list[str], list[str]]]:
    """Sentences of a CoNLL file.

    Parameters
    ----------
    lines : iterable of (int, str)
        1-based line numbers and decoded lines.
    path : str
        Named in errors.

    Yields
    ------
    (first line, words, tags)
        One per sentence. ``-DOCSTART-`` lines are skipped; middle columns (POS,
        chunk) are ignored: the word is the first field, the tag the last.

    Raises
    ------
    DataFileError
        A line without a tag, a tag that is not BIO, or a file with no sentence.
    """
    words: list[str] = []
    tags: list[str] = []
    first, seen = 0, False
    for lineno, text in lines:
        stripped = text.strip()
        if not stripped or stripped.startswith("-DOCSTART-"):
            if words:
                seen = True
                yield first, words, tags
                words, tags = [], []
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
        yield first, words, tags
    if not seen:
        raise DataFileError(path, None, "the file is empty; expected 'token<TAB>tag' lines")


def write_conll(sentences: Iterable[tuple[Sequence[str], Sequence[str]]]) -> str:
    """``word<TAB>tag`` lines, one blank line after each sentence of (words, tags)."""
    return "".join("".join(f"{w}\t{t}\n" for w, t in zip(words, tags)) + "\n" for words, tags in sentences)
