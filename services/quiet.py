"""Scoped silence for chatty libraries: every setting changed here is restored on exit.

Training in a background job must not print weight-loading bars or "newly
initialised head" warnings, but the process (a notebook, the app) keeps the
settings it had before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_loggers(*names: str, level: int = logging.ERROR) -> Iterator[None]:
    """Raise the level of the named standard loggers for the block."""
    loggers = [logging.getLogger(n) for n in names]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, old in zip(loggers, saved):
            lg.setLevel(old)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers (and datasets, when imported) without warnings or progress bars, for the block."""
    import sys

    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    datasets = sys.modules.get("datasets")
    ds_bars = datasets.is_progress_bar_enabled() if datasets is not None else None
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if datasets is not None:
        datasets.disable_progress_bars()
    try:
        with quiet_loggers("setfit", "sentence_transformers"):
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
        if datasets is not None and ds_bars:
            datasets.enable_progress_bars()
