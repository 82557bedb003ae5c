"""``ner``: token classification with ``AutoModelForTokenClassification``.

Words are the tokens of :func:`workbench.text.tokenize` (the units an annotator's
span snaps to in the UI), each with character offsets. Spans
``[{"start", "end", "label"}]`` become BIO tags on the words they overlap;
only the first sub-token of each word carries its tag (``-100`` elsewhere, so
the loss ignores continuation pieces). Predictions are per word and map back
to character spans. ``labels`` is the BIO tag set ``["O", "B-x", "I-x", ...]``
in schema order; ``entity_labels`` is the project's schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.device import resolve_device, seed_everything
from services.embeddings import resolve_model, torch_encoder
from services.models import torch_loop
from services.models.base import FineTuned, SpanPredictor, register
from services.models.common import ProgressFn, check_task_labels, check_texts
from services.quiet import quiet_transformers
from workbench.errors import ValidationError
from workbench.text import bio_tags, bio_to_spans, spans_to_bio, tokenize

IGNORE = -100


@dataclass
class NerConfig(torch_loop.FineTuneConfig):
    """Defaults for token classification with MiniLM-sized models (see ``FineTuneConfig``).

    Chosen on the WNUT-16 development split of ``benchmarks/ner_curve.py`` (the README has the
    curve on its test split): with 3 epochs at 1e-4, up to 500 sentences ended at entity F1 0
    (every token ``O``); entities appear once training gets about 300 steps at 3e-4 (1e-3
    collapsed to all ``O`` again), and at 1,000 sentences 8 epochs beat 5 (dev F1 0.385 vs 0.343).
    """

    epochs: int = 8
    lr: float = 3e-4
    min_steps: int = 300
    max_length: int = 256


def word_tags(text: str, spans: Sequence[dict[str, Any]], entity_labels: Sequence[str]) -> list[str]:
    """BIO tag per token of :func:`workbench.text.tokenize` (a token overlapping a span takes its label)."""
    unknown = [sp["label"] for sp in spans if sp["label"] not in set(entity_labels)]
    if unknown:
        raise ValidationError(f"span label {unknown[0]!r} is not one of {list(entity_labels)}")
    return spans_to_bio(tokenize(text), spans)[0]


@register("ner")
class NerAdapter(torch_loop.PretrainedIO, FineTuned, SpanPredictor):
    """Fine-tuned token classifier over :func:`workbench.text.tokenize` tokens (task ``ner``).

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
        split = [[tok for tok, _, _ in tokenize(text)] for text in texts]
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
        """Train a fresh model on span lists; ``progress(fraction, message)`` follows the optimisation steps."""
        with quiet_transformers():
            return self._fit(texts, targets, progress)

    def _fit(self, texts: Sequence[str], targets: Sequence[Sequence[dict[str, Any]]],
             progress: ProgressFn | None) -> NerAdapter:
        """Fine-tune on ``texts`` with targets = span lists ``[{"start", "end", "label"}]`` per text."""
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        texts = check_texts(texts)
        targets = list(targets)
        if not texts:
            raise ValidationError("cannot train on zero labelled examples")
        if len(targets) != len(texts):
            raise ValidationError(f"got {len(texts)} texts but {len(targets)} span lists; they must pair up")
        tags = [word_tags(t, s or [], self.entity_labels) for t, s in zip(texts, targets)]
        c = self.config
        device = resolve_device(c.device)
        self.close()
        seed_everything(c.seed)
        location = resolve_model(torch_encoder(c.base_model))
        self.tokenizer = AutoTokenizer.from_pretrained(location)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ValidationError(f"base model {c.base_model!r} has no fast tokenizer; NER needs one to align words")
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
        """Per text a (T_i, K) float32 array: T_i tokens (:func:`workbench.text.tokenize`), K = ``len(self.labels)`` BIO tags.

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
            probs = np.full((len(tokenize(text)), k), 1.0 / k, dtype=np.float32)
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
        return [bio_to_spans(tokenize(text), [self.labels[i] for i in p.argmax(axis=1)])
                for text, p in zip(texts, self.predict_proba(texts))]

    def _schema_labels(self) -> list[str]:
        return list(self.entity_labels)
