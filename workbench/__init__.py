"""Annotation and active-learning workbench for text (core: no streamlit, no torch)."""

__version__ = "0.1.0"
