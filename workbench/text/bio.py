"""Character spans <-> BIO tags over tokens (the one conversion in the tree)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workbench.text.tokens import Token


def bio_tags(labels: Sequence[str]) -> list[str]:
    """BIO tag set of an entity schema: ``["O", "B-x", "I-x", ...]`` (column order of NER probabilities)."""
    return ["O"] + [f"{prefix}-{label}" for label in labels for prefix in ("B", "I")]


def spans_to_bio(tokens: Sequence[Token], spans: Sequence[dict[str, Any]]) -> tuple[list[str], int]:
    """BIO tag per token from character spans; a token belongs to a span it overlaps.

    Returns
    -------
    tags : list of str, length T
    misaligned : int
        Spans whose edges fall inside a token (their tokens are tagged whole) or cover no token.
    """
    tags = ["O"] * len(tokens)
    misaligned = 0
    for span in spans:
        inside = [i for i, (_, s, e) in enumerate(tokens) if s < span["end"] and e > span["start"]]
        if not inside:
            misaligned += 1
            continue
        if tokens[inside[0]][1] != span["start"] or tokens[inside[-1]][2] != span["end"]:
            misaligned += 1
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + span["label"]
    return tags, misaligned


def bio_to_spans(tokens: Sequence[Token], tags: Sequence[str]) -> list[dict[str, Any]]:
    """Character spans from BIO tags over ``tokens``.

    An ``I-`` tag that does not continue an entity of its type starts one (IOB1
    leniency); anything that is not ``B-``/``I-`` ends the current entity.

    Returns
    -------
    list of dict
        ``{"start", "end", "label"}``, end exclusive, sorted.
    """
    spans: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for (_, start, end), tag in zip(tokens, tags):
        kind, _, label = str(tag).partition("-")
        if kind == "B" or (kind == "I" and (current is None or current["label"] != label)):
            current = {"start": start, "end": end, "label": label}
            spans.append(current)
        elif kind == "I":
            current["end"] = end
        else:
            current = None
    return spans


def entity_types(tag_sequences: Iterable[Sequence[str]]) -> list[str]:
    """Sorted entity types used in BIO tag sequences (``B-person`` -> ``person``)."""
    return sorted({tag[2:] for tags in tag_sequences for tag in tags if tag[:2] in ("B-", "I-")})
