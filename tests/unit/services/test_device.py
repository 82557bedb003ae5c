"""Device selection, precision choice and seeding (services/device.py)."""

from __future__ import annotations

import numpy as np
import pytest

from services.device import check_device, free_memory, precision, resolve_device, seed_everything
from workbench.errors import ValidationError


@pytest.mark.parametrize("name,expected", [(None, "auto"), ("AUTO", "auto"), ("cpu", "cpu"), ("cuda:1", "cuda:1"),
                                           ("mps", "mps")])
def test_check_device_accepts_known_names(name, expected):
    assert check_device(name) == expected


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "tpu", ""])
def test_check_device_rejects_unknown_names_listing_valid_ones(name):
    if name == "":
        assert check_device(name) == "auto"  # empty means "not configured"
        return
    with pytest.raises(ValidationError, match="valid devices: auto, cpu, cuda, mps"):
        check_device(name)


def test_resolve_device_auto_and_explicit_cpu():
    import torch

    auto = resolve_device("auto")
    assert auto == ("cuda" if torch.cuda.is_available() else auto)
    assert auto in ("cuda", "mps", "cpu")
    assert resolve_device("cpu") == "cpu"


def test_explicit_cuda_without_cuda_is_an_error_not_a_silent_cpu_run():
    import torch

    if torch.cuda.is_available():
        assert resolve_device("cuda") == "cuda"
        return
    with pytest.raises(ValidationError, match="CUDA is not available"):
        resolve_device("cuda")


def test_precision_is_fp32_off_gpu_and_when_disabled():
    assert precision("cpu") == "fp32"
    assert precision("mps") == "fp32"
    assert precision("cuda", fp16=False) == "fp32"


def test_seed_everything_makes_torch_and_numpy_repeatable():
    import torch

    seed_everything(7)
    a = (torch.rand(3), np.random.rand(3))
    seed_everything(7)
    b = (torch.rand(3), np.random.rand(3))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    free_memory()  # must not fail on a CPU-only machine
