"""Model adapters. Importing this package registers the built-in adapters
(their heavy imports stay inside methods)."""

from services.models import logreg, ner, setfit_adapter, transformer  # noqa: F401  (register the adapters)
from services.models.base import ADAPTERS, ModelAdapter, get_adapter, load_adapter, register

__all__ = ["ADAPTERS", "ModelAdapter", "get_adapter", "load_adapter", "register"]
