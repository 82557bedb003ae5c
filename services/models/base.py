"""The one model protocol every adapter implements, and the adapter registry.

Outputs are shaped for cleanlab directly: ``predict_proba`` returns an
``(N, K)`` array for classification / multilabel (columns in ``labels``
order; multilabel columns are independent per-label probabilities) and a list
of ``(T_i, K)`` arrays for NER (one row per word/token, columns over the BIO
tag set the adapter exposes in ``labels``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from workbench.errors import ValidationError

TaskName = Literal["classification", "multilabel", "ner"]


@runtime_checkable
class ModelAdapter(Protocol):
    name: str
    task: TaskName
    labels: Sequence[str]

    def fit(self, texts: Sequence[str], targets: Sequence[Any]) -> ModelAdapter: ...

    def predict_proba(self, texts: Sequence[str]) -> Any: ...

    def save(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: Path) -> ModelAdapter: ...


#: name -> factory(task, labels, **config) returning a fresh, unfitted adapter
ADAPTERS: dict[str, Callable[..., ModelAdapter]] = {}


def register(name: str):
    """Class decorator adding an adapter factory to :data:`ADAPTERS`."""

    def wrap(cls):
        ADAPTERS[name] = cls
        return cls

    return wrap


def get_adapter(name: str, task: str, labels: Sequence[str], **config: Any) -> ModelAdapter:
    """Build a fresh adapter by registry name; unknown names list the valid ones."""
    import services.models  # noqa: F401  (registers the built-in adapters)

    if name not in ADAPTERS:
        raise ValidationError(f"unknown model {name!r}; valid models: {', '.join(sorted(ADAPTERS))}")
    return ADAPTERS[name](task=task, labels=list(labels), **config)


def load_adapter(name: str, path: Path) -> ModelAdapter:
    """Load a saved adapter of registry ``name`` from ``path``."""
    import services.models  # noqa: F401

    if name not in ADAPTERS:
        raise ValidationError(f"unknown model {name!r}; valid models: {', '.join(sorted(ADAPTERS))}")
    return ADAPTERS[name].load(Path(path))
