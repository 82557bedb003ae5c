"""The app's pages in one place: app.py routes with them, and a page opened on its own re-routes through them."""

from __future__ import annotations

import streamlit as st

#: (script, title, icon); the first is the default page
PAGES: tuple[tuple[str, str, str], ...] = (
    ("pages/projects.py", "Projects", ":material/folder:"),
    ("pages/annotate.py", "Annotate", ":material/edit:"),
    ("pages/browse.py", "Browse", ":material/search:"),
    ("pages/progress.py", "Progress", ":material/monitoring:"),
    ("pages/active_learning.py", "Active learning", ":material/model_training:"),
    ("pages/audit.py", "Audit", ":material/fact_check:"),
)


def navigation():
    """``st.navigation`` over :data:`PAGES` (Streamlit leaves multipage-v1 mode once it has run)."""
    return st.navigation([st.Page(path, title=title, icon=icon, default=i == 0)
                          for i, (path, title, icon) in enumerate(PAGES)])
