"""The one tokenizer: what an annotator's span snaps to is what the NER model tags.

Offsets are code points into the original text (what Python's ``str`` indexes),
``end`` exclusive. A URL, an ``@mention``/``#hashtag`` or a word (with inner
apostrophes and hyphens: ``don't``, ``state-of-the-art``) is one token; any
other non-space character (punctuation, emoji) is a token of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

#: (token text, start, end) with code-point offsets, ``end`` exclusive
Token = tuple[str, int, int]

_TOKEN_RE = re.compile(r"https?://\S+|www\.\S+|[@#]?\w+(?:['\u2019\-]\w+)*|\S", re.UNICODE)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens.

    Parameters
    ----------
    text : str
        The original record text.

    Returns
    -------
    list of (str, int, int)
        (T,) tokens with increasing, non-overlapping offsets that never cover whitespace.
    """
    return [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def join_words(words: Sequence[str]) -> tuple[str, list[Token]]:
    """Text of pre-split words joined by single spaces, and each word's offsets (CoNLL import)."""
    out, offset = [], 0
    for word in words:
        out.append((word, offset, offset + len(word)))
        offset += len(word) + 1
    return " ".join(words), out


def tokens_for(text: str, stored: Any = None) -> list[Token]:
    """The record's own words when ``stored`` (its imported CoNLL words) rebuilds ``text``, else :func:`tokenize`.

    Keeps a CoNLL round trip faithful to the file's tokenization.
    """
    if isinstance(stored, list) and stored and all(isinstance(w, str) for w in stored):
        joined, tokens = join_words(stored)
        if joined == text:
            return tokens
    return tokenize(text)
