"""The fine-tuning loop shared by the ``transformer`` and ``ner`` adapters.

A plain PyTorch loop (AdamW, linear warm-up/decay, gradient clipping) rather
than ``transformers.Trainer``: it needs no ``accelerate``, writes no
checkpoints, and pads each batch only to its longest member (dynamic padding),
which on a CPU is several times faster than padding to ``max_length``.
torch is imported inside the functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services.device import free_memory, precision, resolve_device
from services.models.common import AdapterConfig, ProgressFn, portable_device, read_meta, write_meta
from services.quiet import quiet_transformers
from workbench.errors import ValidationError
from workbench.jobs import Meter

LORA_TARGETS: dict[str, list[str]] = {"bert": ["query", "value"], "distilbert": ["q_lin", "v_lin"],
                                      "roberta": ["query", "value"], "xlm-roberta": ["query", "value"]}


@dataclass
class FineTuneConfig(AdapterConfig):
    """:class:`AdapterConfig` plus fine-tuning and LoRA options.

    Attributes
    ----------
    weight_decay : float
        AdamW weight decay.
    warmup_ratio : float
        Share of steps spent warming the learning rate up.
    lora : bool
        Train low-rank adapters (``peft``) instead of all weights; merged into
        the base weights before saving, so a saved model needs no ``peft``.
    lora_r, lora_alpha, lora_dropout
        LoRA rank, scaling and dropout.
    min_steps : int
        Train for more epochs than ``epochs`` when that gives fewer optimisation
        steps than this (0 = exactly ``epochs``): a few labelled examples then still
        get enough updates to move off the all-majority-class start.
    """

    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    min_steps: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.warmup_ratio < 1:
            raise ValidationError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}")
        if self.weight_decay < 0:
            raise ValidationError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if not isinstance(self.min_steps, int) or isinstance(self.min_steps, bool) or self.min_steps < 0:
            raise ValidationError(f"min_steps must be an integer >= 0, got {self.min_steps!r}")
        if not isinstance(self.lora, bool):
            raise ValidationError(f"lora must be true or false, got {self.lora!r}")
        if not isinstance(self.lora_r, int) or self.lora_r < 1 or self.lora_alpha <= 0:
            raise ValidationError("lora_r must be a positive integer and lora_alpha positive")
        if not 0 <= self.lora_dropout < 1:
            raise ValidationError(f"lora_dropout must be in [0, 1), got {self.lora_dropout!r}")


def autocast_dtype(device: str, fp16: bool):
    """torch dtype for autocast on ``device`` (None = full precision)."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision(device, fp16))


def wrap_lora(model, config: FineTuneConfig, task_type: str):
    """Wrap ``model`` with LoRA adapters (the new head stays fully trainable)."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as exc:
        from workbench.errors import MissingDependencyError

        raise MissingDependencyError("lora=True needs peft: pip install peft") from exc
    targets = LORA_TARGETS.get(getattr(model.config, "model_type", ""))  # None lets peft pick
    lora = LoraConfig(task_type=task_type, r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout, target_modules=targets)
    return get_peft_model(model, lora)


def make_collate(tokenizer, label_pad: int | None = None) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    """Collate tokenized examples, padding to the batch's longest one.

    ``labels`` are stacked as given, or (``label_pad`` set, token labels)
    right-padded with ``label_pad`` to the batch length.
    """
    import torch

    def collate(batch: list[dict[str, Any]]) -> dict[str, Any]:
        inputs = [{k: v for k, v in ex.items() if k != "labels"} for ex in batch]
        out = tokenizer.pad(inputs, padding=True, return_tensors="pt")
        if "labels" in batch[0]:
            labels = [ex["labels"] for ex in batch]
            if label_pad is not None:
                width = out["input_ids"].shape[1]
                labels = [list(lab) + [label_pad] * (width - len(lab)) for lab in labels]
            out["labels"] = torch.tensor(np.asarray(labels))
        return dict(out)

    return collate


def epochs_for(steps_per_epoch: int, config: FineTuneConfig) -> int:
    """``config.epochs``, or more when that is needed to reach ``config.min_steps`` steps."""
    return max(config.epochs, math.ceil(config.min_steps / max(steps_per_epoch, 1)))


def train(model, examples: Sequence[dict[str, Any]], collate, config: FineTuneConfig, device: str,
          progress: ProgressFn | None = None) -> float:
    """Fine-tune ``model`` in place on tokenized ``examples``; return the last batch loss."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    generator = torch.Generator().manual_seed(config.seed)
    loader = torch.utils.data.DataLoader(list(examples), batch_size=config.batch_size, shuffle=True,
                                         collate_fn=collate, generator=generator)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    epochs = epochs_for(len(loader), config)
    total = max(1, len(loader) * epochs)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
    dtype = autocast_dtype(device, config.fp16)
    # Loss scaling is only needed for fp16; bf16 has fp32's range.
    scaler = torch.amp.GradScaler("cuda", enabled=dtype is torch.float16)
    model.to(device).train()
    step, loss_value = 0, float("nan")
    meter = Meter(progress, "training steps", total, "steps")
    for _ in range(epochs):
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.autocast(device_type=device.split(":")[0], dtype=dtype or torch.float32, enabled=dtype is not None):
                loss = model(**batch).loss
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            schedule.step()
            step += 1
            loss_value = float(loss.detach())
            meter(step)
    model.eval()
    return loss_value


def predict_logits(model, examples: Sequence[dict[str, Any]], collate, device: str, fp16: bool,
                   batch_size: int = 64) -> list[np.ndarray]:
    """Per-example float32 logits, in input order: (K,) for sequences, (L_i, K) for tokens.

    Examples are run in order of length so each batch pads little.
    """
    import torch

    order = sorted(range(len(examples)), key=lambda i: len(examples[i]["input_ids"]))
    out: list[np.ndarray | None] = [None] * len(examples)
    dtype = autocast_dtype(device, fp16)
    model.to(device).eval()
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            batch = collate([{k: v for k, v in examples[j].items() if k != "labels"} for j in idx])
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.autocast(device_type=device.split(":")[0], dtype=dtype or torch.float32, enabled=dtype is not None):
                logits = model(**batch).logits
            logits = logits.float().cpu().numpy()
            for row, j in enumerate(idx):
                n = len(examples[j]["input_ids"])
                out[j] = logits[row, :n] if logits.ndim == 3 else logits[row]
    return out  # type: ignore[return-value]


MODEL_DIR = "model"


class PretrainedIO:
    """``save`` / ``load`` / ``close`` shared by the adapters that wrap a
    transformers model (safetensors weights + tokenizer under ``model/``).

    Subclasses set ``auto_class`` (the ``transformers`` Auto* class name) and
    override :meth:`_schema_labels` when the constructor's ``labels`` differ
    from ``self.labels`` (NER: entity types vs BIO tags).
    """

    auto_class: str = ""

    def _schema_labels(self) -> list[str]:
        return list(self.labels)

    def save(self, path: Path) -> None:
        if self.model is None:
            raise ValidationError("the model is not trained yet; nothing to save")
        path = Path(path)
        write_meta(path, self.name, self.task, self._schema_labels(), self.config.to_dict())
        self.model.save_pretrained(path / MODEL_DIR, safe_serialization=True)
        self.tokenizer.save_pretrained(path / MODEL_DIR)

    @classmethod
    def load(cls, path: Path):
        import transformers

        meta = read_meta(Path(path), cls.name)
        adapter = cls(meta["task"], meta["labels"], **meta["config"])
        adapter.config.device = portable_device(adapter.config.device)
        adapter._device = resolve_device(adapter.config.device)
        with quiet_transformers():
            adapter.tokenizer = transformers.AutoTokenizer.from_pretrained(Path(path) / MODEL_DIR)
            adapter.model = getattr(transformers, cls.auto_class).from_pretrained(Path(path) / MODEL_DIR).eval()
        return adapter

    def close(self) -> None:
        """Drop the model and release accelerator memory (call before the next retrain)."""
        self.model = None
        free_memory()

