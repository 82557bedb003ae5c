"""``ner``: token classification with ``AutoModelForTokenClassification``.

Words are the whitespace-separated pieces of a text (``meta["tokens"]`` of a
CoNLL import is exactly this split), each with character offsets. Spans
``[{"start", "end", "label"}]`` become BIO tags on the words they overlap;
only the first sub-token of each word carries its tag (``-100`` elsewhere, so
the loss ignores continuation pieces). Predictions are per word and map back
to character spans. ``labels`` is the BIO tag set ``["O", "B-x", "I-x", ...]``
in schema order; ``entity_labels`` is the project's schema.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.device import resolve_device, seed_everything
from services.embeddings import resolve_model
from services.models import torch_loop
from services.models.base import register
from services.models.common import ProgressFn, check_task_labels, check_texts
from workbench.errors import ValidationError

IGNORE = -100
_WORD = re.compile(r"\S+")


@dataclass
class NerConfig(torch_loop.FineTuneConfig):
    """Defaults for token classification with MiniLM-sized models (see ``FineTuneConfig``)."""

    epochs: int = 3
    lr: float = 1e-4
    max_length: int = 256


def words(text: str) -> list[tuple[int, int]]:
    """Whitespace words of ``text`` as (start, end) character offsets, end exclusive."""
    return [m.span() for m in _WORD.finditer(text)]


def bio_tags(entity_labels: Sequence[str]) -> list[str]:
    """``["O", "B-a", "I-a", "B-b", "I-b", ...]`` for the schema ``[a, b, ...]``."""
    return ["O"] + [f"{p}-{label}" for label in entity_labels for p in ("B", "I")]


def spans_to_tags(text: str, spans: Sequence[dict[str, Any]], entity_labels: Sequence[str]) -> list[str]:
    """BIO tag per word: a word overlapping a span takes its label (B on the span's first word)."""
    known = set(entity_labels)
    offsets = words(text)
    tags = ["O"] * len(offsets)
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["label"] not in known:
            raise ValidationError(f"span label {span['label']!r} is not one of {list(entity_labels)}")
        inside = [i for i, (s, e) in enumerate(offsets) if s < span["end"] and e > span["start"]]
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{span['label']}"
    return tags


def tags_to_spans(text: str, tags: Sequence[str]) -> list[dict[str, Any]]:
    """Character spans from per-word BIO tags; a stray ``I-x`` starts a new entity."""
    offsets = words(text)
    spans: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for (start, end), tag in zip(offsets, tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current is not None and current["label"] == label:
            current["end"] = end
            continue
        current = None
        if prefix in ("B", "I") and label:
            current = {"start": start, "end": end, "label": label}
            spans.append(current)
    return spans


def ner_metrics(texts: Sequence[str], true_spans: Sequence[Sequence[dict]], pred_spans: Sequence[Sequence[dict]],
                entity_labels: Sequence[str]) -> dict[str, Any]:
    """Entity-level precision / recall / F1 (seqeval, exact span and type match) on word BIO tags.

    Returns
    -------
    dict
        ``{"f1", "precision", "recall", "per_label": {label: {"precision", "recall", "f1", "support"}}}``
    """
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    y_true = [spans_to_tags(t, s, entity_labels) for t, s in zip(texts, true_spans)]
    y_pred = [spans_to_tags(t, s, entity_labels) for t, s in zip(texts, pred_spans)]
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    per_label = {k: {"precision": float(v["precision"]), "recall": float(v["recall"]),
                     "f1": float(v["f1-score"]), "support": int(v["support"])}
                 for k, v in report.items() if k in set(entity_labels)}
    return {"f1": float(f1_score(y_true, y_pred, zero_division=0)),
            "precision": float(precision_score(y_true, y_pred, zero_division=0)),
            "recall": float(recall_score(y_true, y_pred, zero_division=0)),
            "per_label": per_label}


@register("ner")
class NerAdapter(torch_loop.PretrainedIO):
    """Fine-tuned token classifier over whitespace words (task ``ner``).

    Parameters
    ----------
    task : {"ner"}
    labels : sequence of str
        Entity labels of the schema; the model's output columns are
        ``self.labels = bio_tags(labels)``.
    **config
        :class:`NerConfig` fields (``lora=True`` for LoRA).
    """

    name = "ner"
    auto_class = "AutoModelForTokenClassification"
    tasks = ("ner",)

    def __init__(self, task: str, labels: Sequence[str], **config: Any):
        self.entity_labels = check_task_labels(task, labels, self.tasks, self.name)
        self.labels = bio_tags(self.entity_labels)
        self.task = task
        self.config = NerConfig.from_dict(config)
        self.model = None
        self.tokenizer = None

    def _tokenize(self, texts: list[str], tags: list[list[str]] | None = None) -> list[dict[str, Any]]:
        split = [[text[s:e] for s, e in words(text)] for text in texts]
        enc = self.tokenizer(split, is_split_into_words=True, truncation=True, max_length=self.config.max_length)
        tag_id = {t: i for i, t in enumerate(self.labels)}
        examples = []
        for i in range(len(texts)):
            word_ids = enc.word_ids(i)
            ex = {"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i], "word_ids": word_ids}
            if tags is not None:
                labels, previous = [], None
                for w in word_ids:  # first sub-token of a word carries its tag
                    labels.append(IGNORE if w is None or w == previous else tag_id[tags[i][w]])
                    previous = w
                ex["labels"] = labels
            examples.append(ex)
        return examples

    @staticmethod
    def _model_inputs(examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in ex.items() if k != "word_ids"} for ex in examples]

    def fit(self, texts: Sequence[str], targets: Sequence[Sequence[dict[str, Any]]],
            progress: ProgressFn | None = None) -> NerAdapter:
        """Fine-tune on ``texts`` with targets = span lists ``[{"start", "end", "label"}]`` per text."""
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        texts = check_texts(texts)
        targets = list(targets)
        if not texts:
            raise ValidationError("cannot train on zero labelled examples")
        if len(targets) != len(texts):
            raise ValidationError(f"got {len(texts)} texts but {len(targets)} span lists; they must pair up")
        tags = [spans_to_tags(t, s or [], self.entity_labels) for t, s in zip(texts, targets)]
        c = self.config
        device = resolve_device(c.device)
        self.close()
        torch_loop.quiet_transformers()
        seed_everything(c.seed)
        location = resolve_model(c.model)
        self.tokenizer = AutoTokenizer.from_pretrained(location)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ValidationError(f"model {c.model!r} has no fast tokenizer; NER needs one to align words")
        model = AutoModelForTokenClassification.from_pretrained(
            location, num_labels=len(self.labels), dtype=torch.float32,  # master weights in fp32, whatever the checkpoint
            id2label=dict(enumerate(self.labels)), label2id={t: i for i, t in enumerate(self.labels)},
        )
        if c.lora:
            model = torch_loop.wrap_lora(model, c, "TOKEN_CLS")
        examples = self._model_inputs(self._tokenize(texts, tags))
        torch_loop.train(model, examples, torch_loop.make_collate(self.tokenizer, label_pad=IGNORE), c, device, progress)
        if c.lora:
            model = model.merge_and_unload()
        self.model = model
        self._device = device
        return self

    def predict_proba(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per text a (T_i, K) float32 array: T_i whitespace words, K = ``len(self.labels)`` BIO tags.

        Words cut off by ``max_length`` get a uniform row (the model did not see them).
        """
        if self.model is None:
            raise ValidationError("the model is not trained yet; call fit() first")
        texts = check_texts(texts)
        if not texts:
            return []
        examples = self._tokenize(texts)
        logits = torch_loop.predict_logits(self.model, self._model_inputs(examples),
                                           torch_loop.make_collate(self.tokenizer), self._device, self.config.fp16,
                                           batch_size=max(self.config.batch_size, 64))
        k = len(self.labels)
        out = []
        for text, ex, z in zip(texts, examples, logits):
            probs = np.full((len(words(text)), k), 1.0 / k, dtype=np.float32)
            z = np.exp(z - z.max(axis=1, keepdims=True))
            z = z / z.sum(axis=1, keepdims=True)
            seen: set[int] = set()
            for pos, w in enumerate(ex["word_ids"]):
                if w is not None and w not in seen:
                    probs[w] = z[pos]
                    seen.add(w)
            out.append(probs)
        return out

    def predict_spans(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        """Most likely entities per text as character spans ``[{"start", "end", "label"}]``."""
        return [tags_to_spans(text, [self.labels[i] for i in p.argmax(axis=1)])
                for text, p in zip(texts, self.predict_proba(texts))]

    def _schema_labels(self) -> list[str]:
        return list(self.entity_labels)
