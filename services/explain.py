"""Explanations for predictions and audit flags.

Everything here is model-agnostic and works on plain arrays:

- :func:`occlusion_attributions`: leave-one-word-out on any adapter with
  ``predict_proba`` (one batched call for all variants);
- :func:`integrated_gradients`: token attributions when the adapter exposes its
  torch sequence-classification model and tokenizer;
- :func:`nearest_neighbours`: cosine neighbours over L2-normalised embeddings;
- :func:`issue_reason`: a one-line, number-backed reason for an audit flag;
- :func:`ner_token_probabilities`: per-token probability of the suggested tags.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.errors import ValidationError
from workbench.text import tokenize


@dataclass(frozen=True)
class Attribution:
    """One word of a text and its attribution weight toward the explained label.

    ``weight > 0`` means the word pushes the prediction toward the label;
    ``start``/``end`` are character offsets into the text (end exclusive).
    """

    text: str
    start: int
    end: int
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "weight": self.weight}


def occlusion_attributions(adapter, text: str, label: str | int | None = None,
                           max_words: int = 200) -> tuple[list[Attribution], str, float]:
    """Leave-one-word-out attributions for a classification adapter.

    Parameters
    ----------
    adapter : ModelAdapter
        Any fitted classification / multilabel adapter; ``predict_proba`` of N
        texts returns (N, K) in ``adapter.labels`` order.
    text : str
        The text to explain.
    label : str or int, optional
        Label (name or column) to explain; default the predicted one.
    max_words : int
        Longer texts are explained on their first ``max_words`` words only, so
        the cost stays one batched call of at most ``max_words + 1`` texts.

    Returns
    -------
    (attributions, label, probability)
        One :class:`Attribution` per word: p(label | text) - p(label | text
        without the word). Positive weights support the label.
    """
    if getattr(adapter, "task", "classification") == "ner":
        raise ValidationError("occlusion explains classification models; for NER use ner_token_probabilities")
    spans = tokenize(text)[:max_words]
    variants = [text] + [text[:s] + text[e:] for _, s, e in spans]
    probs = np.asarray(adapter.predict_proba(variants), dtype=float)
    col = _label_column(adapter.labels, label, probs[0])
    base = float(probs[0, col])
    attributions = [Attribution(w, s, e, base - float(p)) for (w, s, e), p in zip(spans, probs[1:, col])]
    return attributions, adapter.labels[col], base


def _label_column(labels: Sequence[str], label: str | int | None, probs: np.ndarray) -> int:
    if label is None:
        return int(np.argmax(probs))
    if isinstance(label, (int, np.integer)):
        if not 0 <= int(label) < len(labels):
            raise ValidationError(f"label column {label} out of range 0..{len(labels) - 1}")
        return int(label)
    if label not in labels:
        raise ValidationError(f"unknown label {label!r}; the model knows: {', '.join(labels)}")
    return list(labels).index(label)


def torch_parts(adapter):
    """(model, tokenizer) of a fitted adapter that declares :class:`~services.models.base.TorchClassifier`, else None."""
    from services.models.base import TorchClassifier, supports

    if not supports(adapter, TorchClassifier) or adapter.model is None or adapter.tokenizer is None:
        return None
    return adapter.model, adapter.tokenizer


def integrated_gradients(adapter, text: str, label: str | int | None = None,
                         steps: int = 32) -> tuple[list[Attribution], str, float]:
    """Integrated gradients (zero-embedding baseline) on a transformer adapter.

    Token attributions are summed over the embedding dimension and then over
    the sub-word pieces of each word, so the output lines up with
    :func:`words`. Raises ValidationError when the adapter does not expose a
    torch model (use :func:`occlusion_attributions` then).
    """
    parts = torch_parts(adapter)
    if parts is None:
        raise ValidationError(f"model {getattr(adapter, 'name', '?')!r} exposes no torch model; use occlusion")
    import torch

    model, tokenizer = parts
    model.eval()
    enc = tokenizer(text, return_tensors="pt", truncation=True, max_length=256, return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping")[0].tolist()
    device = next(model.parameters()).device
    enc = {k: v.to(device) for k, v in enc.items()}
    emb_layer = model.get_input_embeddings()
    with torch.no_grad():
        inputs_embeds = emb_layer(enc["input_ids"])
        logits = model(inputs_embeds=inputs_embeds, attention_mask=enc["attention_mask"]).logits
        probs = torch.softmax(logits, dim=-1)[0].float().cpu().numpy()
    col = _label_column(adapter.labels, label, probs)
    alphas = torch.linspace(1.0 / steps, 1.0, steps, device=device).view(-1, 1, 1)
    scaled = (alphas * inputs_embeds).detach().requires_grad_(True)
    mask = enc["attention_mask"].expand(steps, -1)
    out = model(inputs_embeds=scaled, attention_mask=mask).logits
    target = torch.softmax(out, dim=-1)[:, col].sum()
    (grads,) = torch.autograd.grad(target, scaled)
    token_attr = (inputs_embeds[0] * grads.mean(dim=0)).sum(dim=-1).detach().float().cpu().numpy()
    per_word = []
    for w, s, e in tokenize(text):
        mass = sum(a for a, (ts, te) in zip(token_attr, offsets) if te > ts and ts < e and te > s)
        per_word.append(Attribution(w, s, e, float(mass)))
    return per_word, adapter.labels[col], float(probs[col])


def explain_prediction(adapter, text: str, label: str | int | None = None) -> tuple[list[Attribution], str, float, str]:
    """Best available attribution for ``adapter``: integrated gradients on transformers, occlusion otherwise.

    Returns (attributions, label, probability, method).
    """
    if torch_parts(adapter) is not None:
        try:
            return (*integrated_gradients(adapter, text, label), "integrated gradients")
        except (RuntimeError, TypeError, ValueError):
            pass  # some heads do not accept inputs_embeds; occlusion always works
    return (*occlusion_attributions(adapter, text, label), "occlusion")


def nearest_neighbours(query: np.ndarray, vectors: np.ndarray, k: int = 3,
                       exclude: Sequence[int] = ()) -> list[tuple[int, float]]:
    """Indices and cosine similarities of the ``k`` rows of ``vectors`` closest to ``query``.

    Parameters
    ----------
    query : (D,) array, L2-normalised.
    vectors : (N, D) array, L2-normalised rows.
    exclude : row indices never returned (the record itself).
    """
    if len(vectors) == 0:
        return []
    sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(query, dtype=np.float32)
    if len(exclude):
        sims[np.asarray(list(exclude), dtype=int)] = -np.inf
    k = min(k, int(np.isfinite(sims).sum()))
    top = np.argpartition(-sims, k - 1)[:k] if k else np.array([], dtype=int)
    top = top[np.argsort(-sims[top])]
    return [(int(i), float(sims[i])) for i in top]


def issue_reason(given: Any, suggested: Any, suggested_prob: float | None,
                 neighbour_labels: Sequence[Any] = (), *, out_of_fold: bool = True,
                 duplicate_conflict: bool = False) -> str:
    """One line explaining an audit flag from its numbers.

    Example: ``labelled rotten; model says fresh 0.94 (out-of-fold); 3 of 3
    nearest labelled neighbours are fresh``.
    """
    parts = [f"labelled {_fmt(given)}"]
    if suggested is not None and suggested_prob is not None:
        where = " (out-of-fold)" if out_of_fold else ""
        parts.append(f"model says {_fmt(suggested)} {suggested_prob:.2f}{where}")
    if neighbour_labels:
        counts = Counter(_fmt(v) for v in neighbour_labels)
        top, n = counts.most_common(1)[0]
        parts.append(f"{n} of {len(neighbour_labels)} nearest labelled neighbours are {top}")
    if duplicate_conflict:
        parts.append("a near-duplicate text has a different label")
    return "; ".join(parts)


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ", ".join(f"{v.get('label')}[{v.get('start')}:{v.get('end')}]" for v in value) or "no entities"
        return "{" + ", ".join(map(str, value)) + "}" if value else "{}"
    return str(value)


def ner_token_probabilities(tokens: Sequence[str], probs: np.ndarray,
                            tags: Sequence[str]) -> list[dict[str, Any]]:
    """Per-token suggested tag and its probability.

    Parameters
    ----------
    tokens : T tokens of one sentence.
    probs : (T, K) probabilities over the BIO ``tags``.

    Returns
    -------
    list of dict
        ``{"token", "tag", "prob"}`` per token; ``tag`` is the argmax.
    """
    probs = np.asarray(probs, dtype=float)
    if probs.shape != (len(tokens), len(tags)):
        raise ValidationError(f"expected ({len(tokens)}, {len(tags)}) token probabilities, got {probs.shape}")
    best = probs.argmax(axis=1)
    return [{"token": t, "tag": tags[b], "prob": float(probs[i, b])} for i, (t, b) in enumerate(zip(tokens, best))]


def span_probabilities(tokens: Sequence[tuple[str, int, int]], probs: np.ndarray,
                       tags: Sequence[str]) -> list[dict[str, Any]]:
    """Suggested entity spans (decoded from BIO argmax) with the mean probability of their tokens.

    Parameters
    ----------
    tokens : T (token, start, end) tuples with character offsets.
    probs : (T, K) probabilities over BIO ``tags`` ("O", "B-x", "I-x").

    Returns
    -------
    list of dict
        ``{"start", "end", "label", "prob", "token_probs"}`` per span.
    """
    rows = ner_token_probabilities([t for t, _, _ in tokens], probs, tags)
    spans: list[dict[str, Any]] = []
    for (_tok, s, e), row in zip(tokens, rows):
        tag = row["tag"]
        if tag == "O":
            if spans:
                spans[-1]["open"] = False
            continue
        kind, _, label = tag.partition("-")
        if kind == "I" and spans and spans[-1]["label"] == label and spans[-1]["open"]:
            spans[-1]["end"] = e
            spans[-1]["token_probs"].append(row["prob"])
            continue
        spans.append({"start": s, "end": e, "label": label or kind, "token_probs": [row["prob"]], "open": True})
    for sp in spans:
        sp.pop("open")
        sp["prob"] = float(np.mean(sp["token_probs"]))
    return spans
