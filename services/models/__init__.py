"""Model adapters. Importing this package registers the built-in adapters
(their heavy imports stay inside methods)."""

from services.models import hybrid, logreg, ner, setfit_adapter, transformer  # noqa: F401  (register the adapters)
from services.models.base import (
    ADAPTERS,
    EmbeddingAware,
    FineTuned,
    ModelAdapter,
    ReadsWords,
    SpanPredictor,
    TorchClassifier,
    UpgradesVectors,
    adapters_for,
    get_adapter,
    load_adapter,
    register,
    supports,
)

__all__ = ["ADAPTERS", "EmbeddingAware", "FineTuned", "ModelAdapter", "ReadsWords", "SpanPredictor", "TorchClassifier",
           "UpgradesVectors",            "adapters_for", "get_adapter",
           "load_adapter", "register", "supports"]
