"""Where models run: device detection, mixed precision, seeds and freeing memory.

Order of preference is CUDA, then Apple MPS, then CPU, unless a config names
one. torch is imported inside the functions so that importing ``services``
stays light.
"""

from __future__ import annotations

import gc
import random
import sys

from workbench.errors import ValidationError

#: Values a config's ``device`` may take; ``"cuda:N"`` is accepted too.
DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")


def check_device(device: str | None) -> str:
    """Validate a device name (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``) without importing torch."""
    name = (device or "auto").strip().lower()
    if name in DEVICE_CHOICES or (name.startswith("cuda:") and name[5:].isdigit()):
        return name
    raise ValidationError(f"unknown device {device!r}; valid devices: {', '.join(DEVICE_CHOICES)} or cuda:N")


def resolve_device(device: str | None = "auto") -> str:
    """Return the torch device string to use.

    Parameters
    ----------
    device : str or None
        ``"auto"`` (or None) picks CUDA, then MPS, then CPU. An explicit
        accelerator that is not available raises :class:`ValidationError`
        rather than silently training on the CPU for hours.
    """
    import torch

    name = check_device(device)
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValidationError(f"device {name!r} was requested but CUDA is not available; use device='auto' or 'cpu'")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValidationError("device 'mps' was requested but MPS is not available; use device='auto' or 'cpu'")
    return name


def precision(device: str, fp16: bool = True) -> str:
    """Mixed-precision mode for ``device``: ``"bf16"``, ``"fp16"`` or ``"fp32"``.

    bf16 is preferred where the GPU supports it (no loss scaling needed); CPU
    and MPS train in fp32 because autocast there is slower or unsupported for
    these models.
    """
    if not fp16 or not device.startswith("cuda"):
        return "fp32"
    import torch

    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (all devices) so retrains are repeatable."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # seeds CUDA and MPS generators too


def free_memory() -> None:
    """Release cached accelerator memory after a model is dropped.

    Active-learning loops retrain many times in one process; without this the
    CUDA caching allocator keeps every old model's blocks and runs out.
    Callers must ``del`` their own references first.
    """
    gc.collect()
    torch = sys.modules.get("torch")  # never import torch just to free nothing
    if torch is None:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        mps.empty_cache()
