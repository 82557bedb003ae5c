"""``setfit``: SetFit — contrastive fine-tuning of a sentence-transformer body, then a head.

The body is trained with SetFit's own pair sampling and loss
(``Trainer.train_embeddings``). The head is our :class:`LinearHead` (logistic
regression on the tuned, normalised embeddings) rather than SetFit's sklearn
head, because SetFit saves that head with pickle; ours saves as safetensors.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services.device import free_memory, precision, resolve_device, seed_everything
from services.embeddings import resolve_model, torch_encoder
from services.models.base import FineTuned, register
from services.models.common import (
    HEAD_FILE,
    AdapterConfig,
    LinearHead,
    ProgressFn,
    check_task_labels,
    check_texts,
    encode_targets,
    portable_device,
    read_meta,
    write_meta,
)
from services.quiet import quiet_transformers
from workbench.errors import MissingDependencyError, ValidationError
from workbench.jobs import Meter

BODY_DIR = "body"


@dataclass
class SetFitConfig(AdapterConfig):
    """:class:`AdapterConfig` plus SetFit options.

    Attributes
    ----------
    num_iterations : int
        Contrastive pairs drawn per example and epoch (SetFit's ``num_iterations``);
        training cost grows with ``num_iterations * N``.
    max_steps : int
        Cap on body training steps (-1 = no cap); keeps retrains on large label
        sets bounded.
    head_C : float
        Inverse regularisation of the logistic-regression head.
    freeze_layers : int
        Freeze the token embeddings and the first ``freeze_layers`` transformer
        layers of the body (0 = tune all); their backward pass is skipped, so a
        step costs less.

    The defaults (3 iterations, 2 frozen layers, lr 4e-5) halve a 256-label
    retrain against the former 5 iterations at 2e-5 with every layer tuned, at
    the same accuracy within one std (``benchmarks/setfit_speed.py``, README).
    """

    lr: float = 4e-5
    num_iterations: int = 3
    max_steps: int = -1
    head_C: float = 1.0
    freeze_layers: int = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.num_iterations, int) or self.num_iterations < 1:
            raise ValidationError(f"num_iterations must be a positive integer, got {self.num_iterations!r}")
        if not isinstance(self.max_steps, int) or (self.max_steps < 1 and self.max_steps != -1):
            raise ValidationError(f"max_steps must be a positive integer or -1, got {self.max_steps!r}")
        if self.head_C <= 0:
            raise ValidationError(f"head_C must be positive, got {self.head_C!r}")
        if not isinstance(self.freeze_layers, int) or isinstance(self.freeze_layers, bool) or self.freeze_layers < 0:
            raise ValidationError(f"freeze_layers must be an integer >= 0, got {self.freeze_layers!r}")


def freeze_lower_layers(body, n_layers: int) -> int:
    """Stop gradients in the embeddings and the first ``n_layers`` layers of a BERT-style body.

    Returns
    -------
    int
        The number of frozen parameter tensors.
    """
    if n_layers == 0:
        return 0
    inner = body[0].auto_model
    layers = getattr(getattr(inner, "encoder", None), "layer", None)
    if layers is None or not hasattr(inner, "embeddings"):
        raise ValidationError(f"freeze_layers needs a BERT-style body (embeddings + encoder.layer); "
                              f"{type(inner).__name__} has neither; use freeze_layers=0")
    if n_layers >= len(layers):
        raise ValidationError(f"freeze_layers={n_layers} would freeze all {len(layers)} layers; "
                              f"use at most {len(layers) - 1}")
    frozen = 0
    for module in (inner.embeddings, *layers[:n_layers]):
        for param in module.parameters():
            param.requires_grad_(False)
            frozen += 1
    return frozen


def _progress_callback(progress: ProgressFn):
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        meter = None

        def on_step_end(self, args, state, control, **kwargs):
            if self.meter is None:  # max_steps is known once training began
                self.meter = Meter(progress, "training steps", max(state.max_steps, 1), "steps")
            self.meter(state.global_step)

    return Progress()


@register("setfit")
class SetFitAdapter(FineTuned):
    """SetFit classifier (classification, multilabel).

    Parameters
    ----------
    task : {"classification", "multilabel"}
    labels : sequence of str
        Column order of :meth:`predict_proba`.
    **config
        :class:`SetFitConfig` fields.
    """

    name = "setfit"
    tasks = ("classification", "multilabel")

    def __init__(self, task: str, labels: Sequence[str], **config: Any):
        self.labels = check_task_labels(task, labels, self.tasks, self.name)
        self.task = task
        self.config = SetFitConfig.from_dict(config)
        self.body = None
        self.head: LinearHead | None = None

    def fit(self, texts: Sequence[str], targets: Sequence[Any], progress: ProgressFn | None = None) -> SetFitAdapter:
        """Tune the body contrastively on ``texts``, then fit the head on its embeddings."""
        with quiet_transformers():
            return self._fit(texts, targets, progress)

    def _fit(self, texts: Sequence[str], targets: Sequence[Any], progress: ProgressFn | None) -> SetFitAdapter:
        try:
            from setfit import SetFitModel, Trainer, TrainingArguments
        except ImportError as exc:
            raise MissingDependencyError("the setfit model needs setfit: pip install setfit") from exc
        from datasets import Dataset
        from transformers import PrinterCallback

        texts = check_texts(texts)
        if len(texts) < 2:
            raise ValidationError("SetFit needs at least 2 labelled examples to form pairs")
        y = encode_targets(self.task, self.labels, targets, len(texts))
        c = self.config
        device = resolve_device(c.device)
        self.close()
        seed_everything(c.seed)
        model = SetFitModel.from_pretrained(
            resolve_model(torch_encoder(c.base_model)), device=device,
            multi_target_strategy="one-vs-rest" if self.task == "multilabel" else None,
        )
        freeze_lower_layers(model.model_body, c.freeze_layers)
        targets_list = y.astype(int).tolist()
        # SetFit's only AMP switch is fp16 autocast (with loss scaling); it is safe on every CUDA GPU.
        amp = precision(device, c.fp16) != "fp32"
        with tempfile.TemporaryDirectory(prefix="setfit-") as tmp:
            args = TrainingArguments(
                output_dir=tmp, batch_size=c.batch_size, num_epochs=c.epochs, num_iterations=c.num_iterations,
                max_steps=c.max_steps, body_learning_rate=c.lr, seed=c.seed, max_length=c.max_length,
                use_amp=amp, show_progress_bar=False, report_to="none", save_strategy="no",
                logging_strategy="no",
            )
            trainer = Trainer(model=model, args=args,
                              train_dataset=Dataset.from_dict({"text": texts, "label": targets_list}))
            trainer.st_trainer.remove_callback(PrinterCallback)  # no loss dicts on stdout (it may carry --json)
            if progress:
                trainer.st_trainer.add_callback(_progress_callback(progress))
            trainer.train_embeddings(texts, targets_list)
        self.body = model.model_body
        del trainer, model  # SetFit's own head and the trainer's optimizer state
        free_memory()
        self.head = LinearHead.fit(self._encode(texts), y, self.task, len(self.labels), C=c.head_C, seed=c.seed)
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.body.encode(texts, batch_size=64, convert_to_numpy=True, normalize_embeddings=True,
                                   show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(N, K) probabilities, columns in ``labels`` order."""
        if self.body is None or self.head is None:
            raise ValidationError("the model is not trained yet; call fit() first")
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.head.predict_proba(self._encode(texts))

    def save(self, path: Path) -> None:
        if self.body is None or self.head is None:
            raise ValidationError("the model is not trained yet; nothing to save")
        path = Path(path)
        write_meta(path, self.name, self.task, self.labels, self.config.to_dict())
        self.body.save(str(path / BODY_DIR), safe_serialization=True)
        self.head.save(path / HEAD_FILE)

    @classmethod
    def load(cls, path: Path) -> SetFitAdapter:
        from sentence_transformers import SentenceTransformer

        meta = read_meta(Path(path), cls.name)
        adapter = cls(meta["task"], meta["labels"], **meta["config"])
        adapter.config.device = portable_device(adapter.config.device)
        adapter.body = SentenceTransformer(str(Path(path) / BODY_DIR), device=resolve_device(adapter.config.device))
        adapter.head = LinearHead.load(Path(path) / HEAD_FILE, adapter.task, len(adapter.labels))
        return adapter

    def close(self) -> None:
        """Drop the body and release accelerator memory (call before the next retrain)."""
        self.body = None
        free_memory()
