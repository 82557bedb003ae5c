"""Why the active model suggests what it does, for every kind of model that makes suggestions.

- **zero-shot** (cold start, no weights): cosine similarity of the text to each label name, and
  how much of the similarity to the chosen one each word carries (leave-one-word-out on the similarity);
- **classifiers** (``logreg``, ``setfit``, ``transformer``): word attributions from
  :func:`services.explain.explain_prediction`;
- **NER**: each predicted span with its tokens' probabilities, the uncertain tokens, and the nearest
  spans people labelled (cosine over span-text embeddings).

Pure functions over a loaded adapter or the cached vectors; the pages cache and render the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services import explain
from workbench.text import tokenize

#: NER tokens below this probability are listed as uncertain
UNCERTAIN_TOKEN = 0.8
#: labelled records scanned for the nearest labelled spans (most recent first)
SPAN_POOL_RECORDS = 2000


@dataclass
class SuggestionExplanation:
    """What a page shows under "Why this suggestion?".

    Attributes
    ----------
    method : how it was computed ("zero-shot similarity", "occlusion", "NER token probabilities", ...).
    label, prob : the explained prediction (a label, or None for NER) and its probability.
    attributions : word attributions ``{"text", "start", "end", "weight"}`` (classification, zero-shot).
    similarities : zero-shot: label -> cosine similarity of the text to the label name.
    spans : NER: predicted spans ``{"start", "end", "label", "prob", "token_probs"}``.
    tokens : NER: uncertain tokens ``{"token", "tag", "prob"}`` (probability below :data:`UNCERTAIN_TOKEN`).

    The nearest labelled spans are not part of it: they depend on the project's labels now, not on the
    model, so the page asks :func:`nearest_labelled_spans` each time (the explanation itself is cached).
    """

    method: str
    label: Any = None
    prob: float | None = None
    attributions: list[dict[str, Any]] = field(default_factory=list)
    similarities: dict[str, float] = field(default_factory=dict)
    spans: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)


def zero_shot_explanation(store, labels: Sequence[str], encoder: str, text: str,
                          max_words: int = 60) -> SuggestionExplanation:
    """Similarity of ``text`` to each label name, and each word's share of the similarity to the chosen one.

    A word's weight is cos(text, label name) - cos(text without the word, label name): the similarity
    itself, not the sharpened zero-shot probability, which saturates near 1 and would leave every word
    at ~0. The label and probability are the cold-start model's own (:func:`zero_shot`).
    """
    from services.active_learning import zero_shot
    from services.embeddings import embed

    labels = list(labels)
    label_vectors = embed(labels, encoder=encoder, store=store)
    text_vector = embed([text], encoder=encoder, store=store)[0]
    probs = zero_shot(text_vector[None, :], label_vectors)[0]
    best = int(np.argmax(probs))
    words = tokenize(text)[:max_words]
    base = float(label_vectors[best] @ text_vector)
    weights = base - embed([text[:s] + text[e:] for _, s, e in words], encoder=encoder) @ label_vectors[best] \
        if words else []
    attributions = [{"text": w, "start": s, "end": e, "weight": float(x)} for (w, s, e), x in zip(words, weights)]
    return SuggestionExplanation("zero-shot similarity to the label names", labels[best], float(probs[best]),
                                 attributions, {name: float(v) for name, v in zip(labels, label_vectors @ text_vector)})


def classifier_explanation(adapter, text: str) -> SuggestionExplanation:
    """Word attributions of a trained classification adapter."""
    attributions, label, prob, method = explain.explain_prediction(adapter, text)
    return SuggestionExplanation(method, label, prob, [a.to_dict() for a in attributions])


def ner_explanation(adapter, text: str) -> SuggestionExplanation:
    """Predicted spans with their token probabilities, and the tokens the model is unsure of."""
    tokens = tokenize(text)
    probs = adapter.predict_proba([text])[0]
    spans = explain.span_probabilities(tokens, probs, adapter.labels)
    rows = explain.ner_token_probabilities([t for t, _, _ in tokens], probs, adapter.labels)
    unsure = [r for r in rows if r["prob"] < UNCERTAIN_TOKEN]
    return SuggestionExplanation("NER token probabilities", None, None, spans=spans, tokens=unsure)


def nearest_labelled_spans(store, project, text: str, spans: Sequence[dict[str, Any]], k: int = 3,
                           exclude_record: int | None = None) -> list[dict[str, Any]]:
    """For each span of ``text``, the ``k`` most similar spans people labelled in this project.

    Returns
    -------
    list of dict
        ``{"span": span text, "text": labelled span text, "label", "similarity"}``, grouped by span.
    """
    from services.embeddings import embed

    pool = _labelled_spans(store, project, exclude_record)
    if not spans or not pool:
        return []
    queries = [text[int(s["start"]):int(s["end"])] for s in spans]
    vectors = embed(queries + [p["text"] for p in pool], encoder=project.settings.encoder, store=store)
    q, candidates = vectors[: len(queries)], vectors[len(queries):]
    out = []
    for query, vector in zip(queries, q):
        for i, sim in explain.nearest_neighbours(vector, candidates, k=k):
            out.append({"span": query, "text": pool[i]["text"], "label": pool[i]["label"], "similarity": sim})
    return out


def _labelled_spans(store, project, exclude_record: int | None) -> list[dict[str, str]]:
    """Distinct (span text, label) pairs of the project's current labels (at most SPAN_POOL_RECORDS records)."""
    seen: dict[tuple[str, str], None] = {}
    for rec in store.labelled_records(project, limit=SPAN_POOL_RECORDS):
        if rec.id == exclude_record:
            continue
        for span in rec.label or []:
            seen.setdefault((rec.text[span["start"]:span["end"]], span["label"]), None)
    return [{"text": t, "label": label} for t, label in seen]
