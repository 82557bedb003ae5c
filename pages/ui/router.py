"""The app's pages in one place: app.py routes with them, and a page opened on its own re-routes through them.

Each page names the action (:data:`workbench.accounts.PERMISSIONS`) a role needs to see it; pages a
role may not use are not routed at all, so their URL lands on the default page. Every page and
action checks the role again on the server side.
"""

from __future__ import annotations

import streamlit as st

#: (script, title, icon, action needed); the first is the default page
PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("pages/projects.py", "Projects", ":material/folder:", "annotate"),
    ("pages/annotate.py", "Annotate", ":material/edit:", "annotate"),
    ("pages/browse.py", "Browse", ":material/search:", "annotate"),
    ("pages/review.py", "Review", ":material/rule:", "review"),
    ("pages/progress.py", "Progress", ":material/monitoring:", "team"),
    ("pages/active_learning.py", "Active learning", ":material/model_training:", "train"),
    ("pages/explore.py", "Explore", ":material/scatter_plot:", "audit"),
    ("pages/audit.py", "Audit", ":material/fact_check:", "audit"),
    ("pages/export.py", "Export", ":material/download:", "export"),
    ("pages/argilla.py", "Argilla", ":material/sync_alt:", "settings"),
    ("pages/admin.py", "Team", ":material/group:", "users"),
)


def all_pages():
    """``st.navigation`` over every page: only to leave multipage-v1 mode (:func:`loaders.require_router`);
    the rerun it triggers runs app.py, which routes by role."""
    return st.navigation([st.Page(path, title=title, icon=icon, default=i == 0)
                          for i, (path, title, icon, _) in enumerate(PAGES)])


def navigation(user):
    """``st.navigation`` over the :data:`PAGES` ``user`` may use; signed out (None), only the sign-in page.

    (Streamlit leaves multipage-v1 mode once st.navigation has run.)
    """
    if user is None:
        from pages.ui import auth

        return st.navigation([st.Page(auth.signed_out_page, title="Sign in", icon=":material/login:")],
                             position="hidden")
    return st.navigation([st.Page(path, title=title, icon=icon, default=i == 0)
                          for i, (path, title, icon, _) in enumerate(p for p in PAGES if user.can(p[3]))])
