"""Streamlit-side helpers: session-state keys, store access, shared widgets.

This package (and ``pages/``) is the only code allowed to import streamlit.
"""
