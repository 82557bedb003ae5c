"""ML services: pure Python; heavy imports (torch, transformers) happen inside functions."""
