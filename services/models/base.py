"""The one model protocol every adapter implements, the declared capabilities, and the adapter registry.

Outputs are shaped for cleanlab directly: ``predict_proba`` returns an
``(N, K)`` array for classification / multilabel (columns in ``labels``
order; multilabel columns are independent per-label probabilities) and a list
of ``(T_i, K)`` arrays for NER (one row per token of :func:`workbench.text.tokenize`,
columns over the BIO tag set the adapter exposes in ``labels``).

Capabilities beyond the protocol are declared by inheriting a small Protocol
below (``class LogRegAdapter(EmbeddingAware)``); callers ask
``supports(adapter_or_class, EmbeddingAware)`` instead of probing signatures.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from workbench.registry import Registry
from workbench.types import ProgressFn

TaskName = Literal["classification", "multilabel", "ner"]


@runtime_checkable
class ModelAdapter(Protocol):
    name: str
    task: TaskName
    labels: Sequence[str]
    #: tasks the adapter class can train
    tasks: tuple[str, ...]

    def fit(self, texts: Sequence[str], targets: Sequence[Any], progress: ProgressFn | None = None) -> ModelAdapter:
        """Train a fresh model; ``progress(fraction, message)`` is called as it goes."""

    def predict_proba(self, texts: Sequence[str]) -> Any: ...

    def save(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: Path) -> ModelAdapter: ...


class EmbeddingAware(Protocol):
    """Works on sentence vectors of the project's ``encoder``: built with ``store=`` (the embedding
    cache) and ``encoder=``, and predicts straight from (N, D) vectors the caller already has."""

    def predict_proba_embeddings(self, embeddings: Any) -> Any: ...


class ReadsWords(Protocol):
    """Also reads the words: predicts from the texts together with their (N, D) vectors."""

    def predict_proba_mixed(self, texts: Sequence[str], embeddings: Any) -> Any: ...


class UpgradesVectors(Protocol):
    """Reads the stronger fetched encoder's vectors instead of the project encoder's where the project allows
    it (``model_encoder: auto``) and they are cached: each round builds it with the ``encoder=`` that
    :func:`services.training.features.model_encoder` chose."""


class FineTuned(Protocol):
    """Fine-tunes a pretrained network: built with ``base_model=`` (what the weights start from)."""


class TorchClassifier(Protocol):
    """Exposes its fitted torch sequence classifier and tokenizer (``model``, ``tokenizer``), so
    explanations can run integrated gradients through it."""

    model: Any
    tokenizer: Any


class SpanPredictor(Protocol):
    """NER adapters: most likely entities per text as ``[{"start", "end", "label"}]`` character spans."""

    def predict_spans(self, texts: Sequence[str]) -> list[list[dict[str, Any]]]: ...


def supports(adapter: Any, capability: type) -> bool:
    """True when the adapter (instance or class) declares ``capability`` by inheriting it."""
    cls = adapter if isinstance(adapter, type) else type(adapter)
    return capability in cls.__mro__


#: name -> adapter class (called as ``cls(task=..., labels=..., **config)`` for a fresh, unfitted adapter)
ADAPTERS: Registry[type] = Registry("adapter")


def register(name: str):
    """Class decorator adding an adapter class to :data:`ADAPTERS`."""
    return ADAPTERS.register(name)


def _builtins() -> None:
    import services.models  # noqa: F401  (registers the built-in adapters)


def adapters_for(task: str) -> list[str]:
    """Names of the registered adapters that can train ``task``."""
    _builtins()
    return ADAPTERS.where(lambda cls: task in cls.tasks)


def get_adapter(name: str, task: str, labels: Sequence[str], **config: Any) -> ModelAdapter:
    """Build a fresh adapter by registry name; unknown names list the valid ones."""
    _builtins()
    return ADAPTERS.get(name)(task=task, labels=list(labels), **config)


def load_adapter(name: str, path: Path) -> ModelAdapter:
    """Load a saved adapter of registry ``name`` from ``path``."""
    _builtins()
    return ADAPTERS.get(name).load(Path(path))
